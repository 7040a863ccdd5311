/** The store contract (./store-contract.ts) on a Redis Cluster: 3 primaries, 3 replicas. */
import { storeContract } from './store-contract';

storeContract('cluster');

/** The store contract (./store-contract.ts) on one redis-server. */
import { storeContract } from './store-contract';

storeContract('single');

/** The store contract (./store-contract.ts) on a Sentinel group: a primary, a replica, 3 sentinels. */
import { storeContract } from './store-contract';

storeContract('sentinel');

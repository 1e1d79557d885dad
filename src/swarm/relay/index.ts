/* The measuring relay for timed viewers (see measuring-relay.ts). */
export {
  MeasuringRelay,
  type MeasuringRelayOptions,
  type RelayRecord,
  RelayStartError,
} from './measuring-relay.js';
export { requestRecordFromRelay } from './request-record.js';

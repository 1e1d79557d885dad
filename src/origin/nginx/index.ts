import { OriginStartError } from '../errors.js';
import type { OriginDriver } from '../types.js';

// Placeholder until the nginx driver lands; it fails loudly instead of pretending.
export const driver: OriginDriver = {
  kind: 'nginx',
  async start() {
    throw new OriginStartError("The 'nginx' origin is not implemented yet.", { kind: 'nginx' });
  },
};

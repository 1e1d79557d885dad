import { OriginStartError } from '../errors.js';
import type { OriginDriver } from '../types.js';

// Placeholder until the vm driver lands; it fails loudly instead of pretending.
export const driver: OriginDriver = {
  kind: 'vm',
  async start() {
    throw new OriginStartError("The 'vm' origin is not implemented yet.", { kind: 'vm' });
  },
};

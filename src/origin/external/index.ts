import { OriginStartError } from '../errors.js';
import type { OriginDriver } from '../types.js';

// Placeholder until the external driver lands; it fails loudly instead of pretending.
export const driver: OriginDriver = {
  kind: 'external',
  async start() {
    throw new OriginStartError("The 'external' origin is not implemented yet.", { kind: 'external' });
  },
};

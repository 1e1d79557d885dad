import { OriginStartError } from '../errors.js';
import type { OriginDriver } from '../types.js';

// Placeholder until the python driver lands; it fails loudly instead of pretending.
export const driver: OriginDriver = {
  kind: 'python',
  async start() {
    throw new OriginStartError("The 'python' origin is not implemented yet.", { kind: 'python' });
  },
};

import { OriginStartError } from '../errors.js';
import type { OriginDriver } from '../types.js';

// Placeholder until the container driver lands; it fails loudly instead of pretending.
export const driver: OriginDriver = {
  kind: 'container',
  async start() {
    throw new OriginStartError("The 'container' origin is not implemented yet.", { kind: 'container' });
  },
};

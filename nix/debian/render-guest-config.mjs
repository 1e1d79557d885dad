// The installed-package twin of render-guest-config.ts: an npm install ships dist/ (compiled) and
// nix/, not src/ or tsx, so build-vm-image.sh renders the guest files from dist with plain node.
//   node nix/debian/render-guest-config.mjs <overlay-dir>
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const { writeGuestOverlay } = await import(join(here, '../../dist/origin/vm/guest-files.js'));
const overlayDir = process.argv[2];
if (!overlayDir) {
  console.error('usage: node nix/debian/render-guest-config.mjs <overlay-dir>');
  process.exit(2);
}
writeGuestOverlay(overlayDir, join(here, 'guest/hls-init.sh'));

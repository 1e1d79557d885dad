// The installed-package twin of render-guest-config.ts: an npm install ships dist/ (compiled) and
// nix/, not src/ or tsx, so build-vm-image.sh renders the guest files from dist with plain node.
//   node nix/debian/render-guest-config.mjs <overlay-dir>
import { chmodSync, copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const { renderGuestFiles } = await import(join(here, '../../dist/origin/vm/guest-files.js'));
const overlayDir = process.argv[2];
if (!overlayDir) {
  console.error('usage: node nix/debian/render-guest-config.mjs <overlay-dir>');
  process.exit(2);
}
for (const [relativePath, file] of Object.entries(renderGuestFiles())) {
  const target = join(overlayDir, relativePath);
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, file.text);
  chmodSync(target, file.mode);
}
const init = join(overlayDir, 'usr/sbin/hls-init');
mkdirSync(dirname(init), { recursive: true });
copyFileSync(join(here, 'guest/hls-init.sh'), init);
chmodSync(init, 0o755);

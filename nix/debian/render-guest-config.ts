/*
 * Writes the guest's added files (src/origin/vm/guest-files.ts: nginx.conf, one generator script
 * per profile, profiles.json) and its init (guest/hls-init.sh → usr/sbin/hls-init) into a folder
 * that build-vm-image.sh copies over the rootfs.
 *
 *   node --import tsx nix/debian/render-guest-config.ts <overlay-dir>
 *   node --import tsx nix/debian/render-guest-config.ts --json nix/generated/guest-files.json
 * The --json form writes the same files as one JSON object for the NixOS MicroVM (nix/microvm.nix
 * reads it with builtins.fromJSON), so the Nix guest runs the same generator and nginx config too.
 */
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { guestFilesJson, writeGuestOverlay } from '../../src/origin/vm/guest-files.js';

if (process.argv[2] === '--json') {
  const target = process.argv[3];
  if (!target) {
    console.error('usage: node --import tsx nix/debian/render-guest-config.ts --json <file.json>');
    process.exit(2);
  }
  writeFileSync(target, guestFilesJson());
  process.exit(0);
}
const overlayDir = process.argv[2];
if (!overlayDir) {
  console.error(
    'usage: node --import tsx nix/debian/render-guest-config.ts <overlay-dir> | --json <file.json>',
  );
  process.exit(2);
}
writeGuestOverlay(overlayDir, join(dirname(fileURLToPath(import.meta.url)), 'guest/hls-init.sh'));

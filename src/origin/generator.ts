import { z } from 'zod';
import { PROFILE_NAMES, type ProfileName } from '../config/index.js';
import { requireBinary, runForOutput } from '../system/index.js';
import profilesFile from './profiles.json' with { type: 'json' };

/*
 * The live test stream every origin kind serves: ffmpeg's testsrc2 + sine, encoded with
 * libx264 + AAC into live HLS. The profiles live in profiles.json so the Nix images (VM,
 * container) and this TypeScript build the same stream; this module turns a profile into
 * ffmpeg arguments and is pure (no process is started here).
 */

const variantSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9_-]+$/),
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  videoBitrateKbps: z.number().positive(),
  maxrateKbps: z.number().positive(),
  bufsizeKbit: z.number().positive(),
  audioBitrateKbps: z.number().positive(),
});

const profileSchema = z
  .strictObject({
    description: z.string(),
    width: z.number().int().positive(),
    height: z.number().int().positive(),
    fps: z.number().int().positive(),
    segmentSeconds: z.number().int().positive(),
    listSize: z.number().int().positive(),
    videoBitrateKbps: z.number().positive(),
    maxrateKbps: z.number().positive(),
    bufsizeKbit: z.number().positive(),
    minrateKbps: z.number().positive().optional(),
    audioBitrateKbps: z.number().positive(),
    audioSampleRate: z.number().int().positive(),
    preset: z.enum(['ultrafast', 'superfast', 'veryfast', 'faster', 'fast', 'medium']),
    playlist: z.string().regex(/^[\w.-]+\.m3u8$/),
    mediaPlaylist: z.string().regex(/^[\w.%-]+\.m3u8$/),
    segmentPattern: z.string().regex(/^[\w.%-]+\.ts$/),
    variants: z.array(variantSchema),
  })
  .superRefine((profile, ctx) => {
    const rates = [profile, ...profile.variants];
    for (const rate of rates) {
      if (rate.maxrateKbps < rate.videoBitrateKbps)
        ctx.addIssue({ code: 'custom', message: 'maxrateKbps must be >= videoBitrateKbps' });
      if (rate.bufsizeKbit < rate.maxrateKbps)
        ctx.addIssue({ code: 'custom', message: 'bufsizeKbit must be >= maxrateKbps' });
    }
    if (profile.minrateKbps !== undefined && profile.minrateKbps > profile.maxrateKbps)
      ctx.addIssue({ code: 'custom', message: 'minrateKbps must be <= maxrateKbps' });
    if (profile.variants.length > 0 && !profile.mediaPlaylist.includes('%v'))
      ctx.addIssue({ code: 'custom', message: 'a profile with variants needs %v in mediaPlaylist' });
    if (profile.variants.length > 0 && !profile.segmentPattern.includes('%v'))
      ctx.addIssue({ code: 'custom', message: 'a profile with variants needs %v in segmentPattern' });
    if (profile.variants.length === 0 && profile.playlist !== profile.mediaPlaylist)
      ctx.addIssue({
        code: 'custom',
        message: 'without variants, playlist and mediaPlaylist are the same file',
      });
  });

const profilesFileSchema = z.object({
  version: z.literal(1),
  profiles: z.record(z.enum(PROFILE_NAMES), profileSchema),
});

export type GeneratorProfile = z.output<typeof profileSchema> & { name: ProfileName };
export type GeneratorVariant = z.output<typeof variantSchema>;
export type { ProfileName };

let cachedProfiles: Record<ProfileName, GeneratorProfile> | undefined;

/** Every profile from profiles.json, validated (a broken data file fails loudly, naming the field). */
export function loadProfiles(): Record<ProfileName, GeneratorProfile> {
  if (cachedProfiles) return cachedProfiles;
  const parsed = profilesFileSchema.safeParse(profilesFile);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new Error(`src/origin/profiles.json is invalid:\n  ${issues.join('\n  ')}`);
  }
  const result = {} as Record<ProfileName, GeneratorProfile>;
  for (const name of PROFILE_NAMES) {
    const profile = parsed.data.profiles[name];
    if (!profile) throw new Error(`src/origin/profiles.json has no profile '${name}'`);
    result[name] = { ...profile, name };
  }
  cachedProfiles = result;
  return result;
}

/** One profile by name; an unknown name is an error listing the known ones. */
export function getProfile(name: ProfileName): GeneratorProfile {
  const profiles = loadProfiles();
  const profile = profiles[name];
  if (!profile)
    throw new RangeError(`Unknown generator profile '${name}'; expected one of ${PROFILE_NAMES.join(', ')}`);
  return profile;
}

/** Frames per GOP: one keyframe at the start of every segment, so segments are exactly hls_time long. */
export function gopFrames(profile: GeneratorProfile): number {
  return profile.fps * profile.segmentSeconds;
}

/** URL path (relative to the origin's root) of what viewers open: the master playlist with variants. */
export function playlistPath(profile: GeneratorProfile): string {
  return profile.playlist;
}

/** File names of the media playlists ffmpeg writes (one per variant, or the single playlist). */
export function mediaPlaylistPaths(profile: GeneratorProfile): string[] {
  if (profile.variants.length === 0) return [profile.mediaPlaylist];
  return profile.variants.map((variant) => profile.mediaPlaylist.replaceAll('%v', variant.name));
}

function joinOut(outDir: string, file: string): string {
  return outDir.endsWith('/') ? `${outDir}${file}` : `${outDir}/${file}`;
}

/**
 * ffmpeg arguments (without the binary) that generate the profile's live stream into outDir.
 * `-re` paces both inputs at real time; `-g`/`-keyint_min` = fps × segmentSeconds with
 * `sc_threshold 0` puts a keyframe exactly at every segment boundary; `temp_file` makes
 * ffmpeg write each file under a temporary name and rename it, so a reader never sees a
 * partial segment; `delete_segments` keeps the folder bounded; `omit_endlist` keeps it live.
 */
export function generatorArgs(profile: GeneratorProfile, outDir: string): string[] {
  const gop = String(gopFrames(profile));
  const args = [
    '-hide_banner',
    '-nostdin',
    '-nostats',
    '-loglevel',
    'level+info',
    '-re',
    '-f',
    'lavfi',
    '-i',
    `testsrc2=size=${profile.width}x${profile.height}:rate=${profile.fps}`,
    '-re',
    '-f',
    'lavfi',
    '-i',
    `sine=frequency=1000:sample_rate=${profile.audioSampleRate}`,
  ];

  const videoCommon = [
    '-c:v',
    'libx264',
    '-preset',
    profile.preset,
    '-pix_fmt',
    'yuv420p',
    '-g',
    gop,
    '-keyint_min',
    gop,
    '-sc_threshold',
    '0',
  ];

  if (profile.variants.length === 0) {
    args.push('-map', '0:v:0', '-map', '1:a:0', ...videoCommon);
    args.push(
      '-b:v',
      `${profile.videoBitrateKbps}k`,
      '-maxrate',
      `${profile.maxrateKbps}k`,
      '-bufsize',
      `${profile.bufsizeKbit}k`,
    );
    if (profile.minrateKbps !== undefined) args.push('-minrate', `${profile.minrateKbps}k`);
    args.push('-c:a', 'aac', '-b:a', `${profile.audioBitrateKbps}k`);
  } else {
    const count = profile.variants.length;
    const splits = profile.variants.map((_, index) => `[s${index}]`).join('');
    const scales = profile.variants
      .map((variant, index) => `[s${index}]scale=${variant.width}:${variant.height}[v${index}]`)
      .join(';');
    args.push('-filter_complex', `[0:v]split=${count}${splits};${scales}`);
    profile.variants.forEach((_, index) => {
      args.push('-map', `[v${index}]`);
    });
    profile.variants.forEach(() => {
      args.push('-map', '1:a:0');
    });
    args.push(...videoCommon);
    profile.variants.forEach((variant, index) => {
      args.push(
        `-b:v:${index}`,
        `${variant.videoBitrateKbps}k`,
        `-maxrate:v:${index}`,
        `${variant.maxrateKbps}k`,
        `-bufsize:v:${index}`,
        `${variant.bufsizeKbit}k`,
      );
    });
    args.push('-c:a', 'aac');
    profile.variants.forEach((variant, index) => {
      args.push(`-b:a:${index}`, `${variant.audioBitrateKbps}k`);
    });
  }

  args.push(
    '-f',
    'hls',
    '-hls_time',
    String(profile.segmentSeconds),
    '-hls_list_size',
    String(profile.listSize),
    '-hls_flags',
    // program_date_time: every segment carries its wall-clock time, so live latency can be checked
    // against the generator's clock (docs/metrics.md#player-qoe).
    'delete_segments+omit_endlist+temp_file+program_date_time',
    '-hls_segment_type',
    'mpegts',
  );
  if (profile.variants.length > 0) {
    args.push(
      '-master_pl_name',
      profile.playlist,
      '-var_stream_map',
      profile.variants.map((variant, index) => `v:${index},a:${index},name:${variant.name}`).join(' '),
    );
  }
  args.push(
    '-hls_segment_filename',
    joinOut(outDir, profile.segmentPattern),
    joinOut(outDir, profile.mediaPlaylist),
  );
  return args;
}

/** A shell-quoted command line (for images that run the generator from a script, and for logs). */
export function generatorCommandLine(profile: GeneratorProfile, outDir: string, ffmpeg = 'ffmpeg'): string {
  const quote = (arg: string) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`);
  return [ffmpeg, ...generatorArgs(profile, outDir)].map(quote).join(' ');
}

/** Path of ffmpeg on PATH, or a MissingBinaryError naming the package. */
export function requireFfmpeg(env: NodeJS.ProcessEnv = process.env): string {
  return requireBinary('ffmpeg', 'ffmpeg', 'the HLS test-stream generator', env);
}

const versionCache = new Map<string, Promise<string>>();

/**
 * The version a binary prints, e.g. ffmpeg → '5.1.9-0+deb12u1', nginx → '1.22.1'
 * (`pattern`'s first group), cached per path; 'unknown' when it cannot be read.
 */
export function binaryVersion(path: string, args: string[], pattern: RegExp): Promise<string> {
  const key = `${path} ${args.join(' ')}`;
  let version = versionCache.get(key);
  if (!version) {
    version = runForOutput(path, args, 10_000).then(
      (output) => pattern.exec(output)?.[1] ?? 'unknown',
      () => 'unknown',
    );
    versionCache.set(key, version);
  }
  return version;
}

/** ffmpeg's version string, e.g. '5.1.9-0+deb12u1'. */
export function ffmpegVersion(ffmpegPath: string): Promise<string> {
  return binaryVersion(ffmpegPath, ['-version'], /ffmpeg version (\S+)/);
}

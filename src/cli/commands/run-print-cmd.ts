/*
 * `hls-swarm run --print-cmd`: the ffmpeg command a run would spawn, printed, and nothing started
 * (go-ffmpeg-hls-swarm's -print-cmd). Viewers' commands differ only in what carries the viewer
 * id (the User-Agent, and the CMCD session id `<run id>-<viewer id>` in -headers), so the first
 * viewer's command is printed whole and a `#` comment says how the others differ: the output pastes into bash as it is. The command is the one the
 * swarm builds (buildClientCommand on the installed ffmpeg's capabilities), shell-quoted and
 * redacted by the same rule as every log line (`printable`).
 */
import type { ShardSpec, SwarmSpec } from '../../config/index.js';
import {
  buildClientCommand,
  buildRampPlan,
  cmcdSessionId,
  cmcdSessionIdOf,
  type FfmpegCapabilities,
  ffmpegVariantOf,
  newRunId,
  rampInputFromSpec,
  selectVariant,
  shardPlan,
  type VariantSelection,
} from '../../swarm/index.js';
import { redactText } from '../../system/index.js';

export interface CommandPreviewInput {
  url: string;
  spec: SwarmSpec;
  capabilities: FfmpegCapabilities;
  toolVersion: string;
  variant: VariantSelection;
  /** The run's viewer ids, in start order (a shard's slice when sharded). */
  viewerIds: number[];
  shard?: ShardSpec;
  /** The run id in the CMCD session ids; a fresh one (as a run would make) by default. */
  runId?: string;
}

/** The viewer ids a run of `spec` starts, in plan order (the same plan the swarm follows). */
export function plannedViewerIds(spec: SwarmSpec, shard?: ShardSpec): number[] {
  const ids = new Set<number>();
  for (const event of shardPlan(buildRampPlan(rampInputFromSpec(spec)), shard).events)
    if (event.action === 'start') ids.add(event.clientId);
  return [...ids];
}

function idList(ids: number[]): string {
  if (ids.length <= 3) return ids.join(', ');
  const contiguous = ids.every((id, index) => index === 0 || id === (ids[index - 1] as number) + 1);
  return contiguous ? `${ids[0]}-${ids.at(-1)}` : `${ids[0]}, ${ids[1]}, …, ${ids.at(-1)}`;
}

/** The sid of the CMCD-Session line of a -headers block. */
function sessionIdIn(headers: string): string {
  const line = headers.split('\r\n').find((header) => /^cmcd-session:/i.test(header));
  return (line && cmcdSessionIdOf(line.slice(line.indexOf(':') + 1))) ?? '?';
}

/** Pure: the lines --print-cmd writes: `#` comments, then the first viewer's command. */
export function commandPreview(input: CommandPreviewInput): string[] {
  const { spec, viewerIds } = input;
  const runId = input.runId ?? newRunId();
  const commandOf = (clientId: number) =>
    buildClientCommand({
      url: input.url,
      clientId,
      spec,
      capabilities: input.capabilities,
      toolVersion: input.toolVersion,
      variantMaps: input.variant.maps,
      sessionId: cmcdSessionId(runId, clientId),
    });
  const first = viewerIds[0] ?? 0;
  const command = commandOf(first);
  const count = viewerIds.length;
  const who = `${count} viewer${count === 1 ? '' : 's'} (id${count === 1 ? '' : 's'} ${idList(viewerIds)}${input.shard ? `, shard ${input.shard.index}/${input.shard.count}` : ''})`;
  const lines = [
    `# hls-swarm run --print-cmd: ffmpeg ${input.capabilities.version}; nothing was started. ${who}.`,
  ];
  // Which options vary between viewers, found by building every viewer's command (cheap: no I/O).
  const varying = new Set<number>();
  for (const id of viewerIds.slice(1)) {
    const args = commandOf(id).args;
    args.forEach((arg, index) => {
      if (arg !== command.args[index]) varying.add(index);
    });
  }
  if (varying.size > 0) {
    const last = viewerIds.at(-1) ?? first;
    const lastArgs = commandOf(last).args;
    const shown = [...varying].map((index) => {
      const flag = command.args[index - 1];
      const firstValue = command.args[index] ?? '';
      const lastValue = lastArgs[index] ?? '';
      // In -headers only the CMCD session id differs: name it rather than print CRLF blocks.
      if (flag === '-headers')
        return `CMCD session id in -headers (viewer ${first}: ${sessionIdIn(firstValue)}, viewer ${last}: ${sessionIdIn(lastValue)}; a new run id each run)`;
      return `${flag} (viewer ${first}: ${redactText(firstValue)}, viewer ${last}: ${redactText(lastValue)})`;
    });
    lines.push(`# Each viewer runs this command with its own ${shown.join(', ')}; nothing else differs.`);
  }
  if (input.variant.note) lines.push(`# variant: ${input.variant.note}`);
  if (spec.startGate.enabled)
    lines.push(
      "# In a run, each viewer's first request goes to the loopback start gate, which redirects it here at the viewer's planned start (--no-start-gate runs this exact command).",
    );
  if (spec.relay.enabled)
    lines.push('# In a run, timed viewers read the URL through the loopback measuring relay (swarm.relay).');
  lines.push(command.printable);
  return lines;
}

/**
 * Prints the preview for `url`. Spawns no viewer: the installed ffmpeg is only asked what it
 * supports, and only `variant` highest/lowest reads the playlist once (ffprobe), as a run would
 * to choose its -map.
 */
export async function printRunCommands(
  options: {
    url: string;
    spec: SwarmSpec;
    capabilities: FfmpegCapabilities;
    toolVersion: string;
    shard?: ShardSpec;
  },
  write: (line: string) => void,
): Promise<void> {
  const variant = await selectVariant(
    options.url,
    ffmpegVariantOf(options.spec.variant),
    options.spec.variantProbeFailure,
  );
  const viewerIds = plannedViewerIds(options.spec, options.shard);
  for (const line of commandPreview({ ...options, variant, viewerIds })) write(line);
}

import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { recordingSpec } from '../../../fixtures/record/client-spec.js';
import { buildClientCommand, capabilitiesFromProbe } from './index.js';

/*
 * The parser's fixtures are ffmpeg runs recorded with the command buildClientCommand built then
 * (fixtures/record/client-args.ts). ffmpeg echoes every option it reads at debug level; if the
 * command built today differs, the recordings are stale: re-record them
 * (bash fixtures/record/ffmpeg-logs.sh) so the parser is tested on what viewers really run.
 */
const FIXTURES = new URL('../../../fixtures/ffmpeg/', import.meta.url);
const read = (name: string) => readFileSync(new URL(name, FIXTURES), 'utf8');

/** The ffmpeg that made the recordings (Debian 12's 5.1), from its recorded probe outputs. */
const recordedFfmpeg = capabilitiesFromProbe('/usr/bin/ffmpeg', {
  version: read('ffmpeg-version.txt'),
  hlsDemuxerHelp: read('ffmpeg-h-demuxer-hls.txt'),
  httpProtocolHelp: read('ffmpeg-h-protocol-http.txt'),
  datetimeProbe: read('ffmpeg-datetime-probe.txt'),
});

interface EchoedOption {
  option: string;
  /** The quoted argument ffmpeg echoed; absent for booleans echoed unquoted (`0`) and the output. */
  argument?: string;
}

/** The options ffmpeg echoed while splitting its command line ("Reading option '-x' ..."). */
function echoedOptions(stderr: string): EchoedOption[] {
  const options: EchoedOption[] = [];
  for (const match of stderr.matchAll(
    /Reading option '([^']*)' \.\.\. matched as [^\n]*?(?: with argument '([^\n]*)')?\.\n/g,
  )) {
    const [, option, argument] = match;
    options.push(
      argument === undefined ? { option: option as string } : { option: option as string, argument },
    );
  }
  return options;
}

/** Replays `echoed` over `argv`: an echoed argument consumes the next element when it equals it. */
function replay(echoed: EchoedOption[], argv: string[]): string[] {
  const seen: string[] = [];
  let index = 0;
  for (const { option, argument } of echoed) {
    seen.push(option);
    index++;
    if (argument !== undefined && argv[index] === argument) {
      seen.push(argument);
      index++;
    }
  }
  return seen;
}

const recordings = readdirSync(FIXTURES)
  .filter((name) => name.endsWith('.stderr'))
  .sort();

describe('recorded viewer logs match the command built today', () => {
  it('finds recordings', () => {
    expect(recordings.length).toBeGreaterThanOrEqual(10);
  });

  it.each(recordings)('%s', (name) => {
    const echoed = echoedOptions(read(name));
    const at = (option: string) => echoed.find((entry) => entry.option === option)?.argument ?? '';
    const userAgent = /^hls-swarm\/(.+)\/client-(\d+)$/.exec(at('-user_agent'));
    expect(userAgent, `${name}: the recorded -user_agent`).not.toBeNull();
    const command = buildClientCommand({
      url: at('-i'),
      clientId: Number(userAgent?.[2]),
      spec: recordingSpec(at('-loglevel').split('+').at(-1) ?? ''),
      capabilities: recordedFfmpeg,
      // The version in the User-Agent is not a rule of the command: take the recorded one.
      toolVersion: userAgent?.[1] ?? '',
      variantMaps: echoed.filter((entry) => entry.option === '-map').map((entry) => entry.argument ?? ''),
    });
    expect(
      replay(echoed, command.args),
      `${name} is stale: re-record with fixtures/record/ffmpeg-logs.sh`,
    ).toEqual(command.args);
  });
});

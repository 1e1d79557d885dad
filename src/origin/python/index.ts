import { type OriginSpec, parseDurationMs, resolvePort } from '../../config/index.js';
import { claimPort, requireBinary } from '../../system/index.js';
import {
  binaryVersion,
  ffmpegVersion,
  generatorArgs,
  getProfile,
  playlistPath,
  requireFfmpeg,
} from '../generator.js';
import type { OriginDriver, RunningOrigin, StartOriginOptions } from '../types.js';
import { OriginProcesses, urlHost, waitForAll, waitForHttpOk, waitForPlaylist } from '../wait/index.js';

export type PythonOriginSpec = Extract<OriginSpec, { kind: 'python' }>;

/*
 * `python3 -m http.server` as the seed's quick local origin, with a handler that fixes what
 * the stock one gets wrong for HLS: it serves .ts as text/vnd.trolltech.linguist (Qt) and
 * sends no cache headers. Passed with -c so nothing is written to disk. Access lines go to
 * stderr (the bounded log), like http.server's own, with the CMCD-Session header appended.
 */
export const PYTHON_SERVER_SOURCE = String.raw`
import functools, http.server, sys
bind, port, root = sys.argv[1], int(sys.argv[2]), sys.argv[3]

class HlsHandler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        '.m3u8': 'application/vnd.apple.mpegurl',
        '.ts': 'video/mp2t',
    }

    def do_GET(self):
        if self.path == '/health':
            body = b'ok\n'
            self.send_response(200)
            self.send_header('Content-Type', 'text/plain')
            self.send_header('Content-Length', str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        super().do_GET()

    def end_headers(self):
        path = self.path.split('?', 1)[0]
        if path.endswith('.m3u8'):
            self.send_header('Cache-Control', 'public, max-age=1')
        elif path.endswith('.ts'):
            self.send_header('Cache-Control', 'public, max-age=86400, immutable')
        super().end_headers()

    def log_request(self, code='-', size='-'):
        # http.server's line plus the CMCD-Session header (which viewer asked; see docs/metrics.md), '-' when absent.
        headers = getattr(self, 'headers', None)
        session = (headers.get('CMCD-Session') if headers else None) or '-'
        self.log_message('"%s" %s %s %s', self.requestline, str(getattr(code, 'value', code)), str(size), session)

    def handle(self):
        try:
            super().handle()
        except (BrokenPipeError, ConnectionResetError):
            pass

class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = False

if ':' in bind:
    import socket
    Server.address_family = socket.AF_INET6
server = Server((bind, port), functools.partial(HlsHandler, directory=root))
print(f'serving {root} on {bind}:{port}', flush=True)
server.serve_forever()
`;

/** Generator + python http.server on 127.0.0.1:17088 (ORIGIN_PORT); `port: 0` picks a free port. */
export async function startPythonOrigin(
  spec: PythonOriginSpec,
  options: StartOriginOptions = {},
): Promise<RunningOrigin> {
  const env = options.env ?? process.env;
  const ffmpeg = requireFfmpeg(env);
  const python = requireBinary('python3', 'python3', 'the python origin (http.server)', env);
  const profile = getProfile(spec.profile);
  const port = await claimPort(
    spec.port ?? resolvePort('pythonOrigin', env),
    'python HLS origin (ORIGIN_PORT)',
    spec.bind,
  );

  const processes = new OriginProcesses('python', options.logDir ? { logDir: options.logDir } : {});
  try {
    const root = processes.subdir('hls');
    processes.start('generator', ffmpeg, generatorArgs(profile, root), { env, cwd: root });
    processes.start(
      'http.server',
      python,
      ['-u', '-c', PYTHON_SERVER_SOURCE, spec.bind, String(port), root],
      {
        env,
        cwd: root,
      },
    );
    const logs = processes.logs;
    const base = `http://${urlHost(spec.bind)}:${port}`;
    const streamUrl = `${base}/${playlistPath(profile)}`;
    await waitForAll(
      [
        waitForHttpOk(`${base}/health`, { logFile: logs['http.server'] }),
        waitForPlaylist(streamUrl, { minSegments: spec.minSegments, logFile: logs.generator }),
      ],
      {
        timeoutMs: parseDurationMs(spec.readyTimeout),
        kind: 'python',
        watch: processes.watched(),
        ...(options.signal ? { signal: options.signal } : {}),
      },
    );
    const [ffmpegVer, pythonVer] = await Promise.all([
      ffmpegVersion(ffmpeg),
      binaryVersion(python, ['--version'], /Python (\S+)/),
    ]);
    return {
      kind: 'python',
      streamUrl,
      exporters: {},
      logs,
      versions: { ffmpeg: ffmpegVer, python: pythonVer },
      profile: profile.name,
      ports: { http: port },
      status: () => processes.status(),
      stop: () => processes.stop(),
    };
  } catch (error) {
    await processes.stop();
    throw error;
  }
}

export const driver: OriginDriver<PythonOriginSpec> = {
  kind: 'python',
  start: startPythonOrigin,
};

import type { OriginKind, OriginSpec } from '../config/index.js';

/*
 * The one shape every origin driver returns, whatever the kind (python, nginx, vm,
 * container, external). The swarm only ever sees `streamUrl`; metrics sees `exporters`.
 */

/** Full URLs of the Prometheus endpoints (…/metrics) the origin offers. */
export interface OriginExporters {
  nginx?: string;
  node?: string;
}

export interface OriginProcessStatus {
  /** e.g. 'generator', 'nginx', 'nginx-exporter', 'node-exporter', 'http.server', 'qemu' */
  name: string;
  pid?: number;
  running: boolean;
  exitCode?: number;
  signal?: string;
  /** When it exited unexpectedly (epoch ms). */
  exitedAtMs?: number;
  logFile?: string;
}

export interface OriginStatus {
  /** False as soon as any of the origin's processes died while the origin was meant to run. */
  healthy: boolean;
  processes: OriginProcessStatus[];
  /** Human-readable problems, e.g. 'generator exited with code 1 at 12:00:03'. */
  problems: string[];
}

export interface RunningOrigin {
  kind: OriginKind;
  /** The playlist the viewers open (master or media). */
  streamUrl: string;
  exporters: OriginExporters;
  /** Path of nginx's JSON access log on this host, when the origin writes one we can read. */
  accessLog?: string;
  /** Log files by process name. */
  logs: Record<string, string>;
  /** Versions of what serves the stream, e.g. { ffmpeg: '5.1.9', nginx: '1.22.1' }. */
  versions: Record<string, string>;
  /** The generator profile in use. */
  profile?: string;
  /** Host ports the origin listens on, by purpose, e.g. { http: 17080, nginxExporter: 17113, nodeExporter: 17100 }. */
  ports?: Record<string, number>;
  status(): OriginStatus;
  /** Stops everything the origin started and removes its temporary files. Idempotent. */
  stop(): Promise<void>;
}

export interface StartOriginOptions {
  /** Aborting stops a start in progress (and whatever it had started). */
  signal?: AbortSignal;
  /** Where log files go; default a temporary folder removed on stop. */
  logDir?: string;
  env?: NodeJS.ProcessEnv;
}

export interface OriginDriver<S extends OriginSpec = OriginSpec> {
  readonly kind: S['kind'];
  start(spec: S, options?: StartOriginOptions): Promise<RunningOrigin>;
}

/*
 * The metric catalogue: the names the SLO language knows for sure, with type, unit and the
 * aggregations a threshold may use on them. docs/metrics.md is the same table for humans;
 * catalogue.test.ts checks the two agree.
 */

export type MetricType = 'trend' | 'rate' | 'counter' | 'gauge';
export type MetricSource = 'swarm' | 'generator' | 'nginx' | 'nginx-access-log' | 'node';
export type Aggregation = 'p' | 'avg' | 'med' | 'min' | 'max' | 'count' | 'rate' | 'value';

/** Which aggregations a threshold may apply to each metric type (k6's rules, plus gauges). */
export const AGGREGATIONS_BY_TYPE: Record<MetricType, readonly Aggregation[]> = {
  trend: ['p', 'avg', 'med', 'min', 'max', 'count'],
  rate: ['rate'],
  counter: ['count', 'rate'],
  gauge: ['value', 'min', 'max', 'avg'],
};

export interface CatalogueEntry {
  name: string;
  source: MetricSource;
  type: MetricType;
  /** 'seconds', 'bytes/s', 'ratio' (0..1), 'clients', 'count', 'requests/s', 'connections' */
  unit: string;
  /** Labels a threshold may filter on. */
  labels: readonly string[];
  meaning: string;
  /** A rate whose samples are seconds reads hits/total × this (60: per minute). */
  rateScale?: number;
}

export const METRIC_CATALOGUE: readonly CatalogueEntry[] = [
  {
    name: 'segment_ttfb',
    source: 'swarm',
    type: 'trend',
    unit: 'seconds',
    labels: [],
    meaning: 'Segment request start → response headers (ffmpeg trace log), one value per request',
  },
  {
    name: 'segment_duration',
    source: 'swarm',
    type: 'trend',
    unit: 'seconds',
    labels: [],
    meaning: 'Segment request start → last byte, as estimated by the swarm (see src/swarm)',
  },
  {
    name: 'manifest_ttfb',
    source: 'swarm',
    type: 'trend',
    unit: 'seconds',
    labels: [],
    meaning: 'Playlist request start → response headers',
  },
  {
    name: 'manifest_duration',
    source: 'swarm',
    type: 'trend',
    unit: 'seconds',
    labels: [],
    meaning: 'Playlist request start → last byte (estimated like segment_duration)',
  },
  {
    name: 'startup_time',
    source: 'swarm',
    type: 'trend',
    unit: 'seconds',
    labels: [],
    meaning: 'Viewer start (release by the start gate, or spawn) → first segment complete, per (re)start',
  },
  {
    name: 'playback_speed',
    source: 'swarm',
    type: 'trend',
    unit: 'ratio',
    labels: [],
    meaning: 'Media time advanced / wall time per viewer per progress window (1 = realtime)',
  },
  {
    name: 'live_edge_drift',
    source: 'swarm',
    type: 'trend',
    unit: 'seconds',
    labels: [],
    meaning: 'How far a viewer fell behind its best position relative to the wall clock, per progress window',
  },
  {
    name: 'video_start_failures',
    source: 'swarm',
    type: 'counter',
    unit: 'count',
    labels: ['reason'],
    meaning:
      "Viewer attempts that never played a first segment and were not stopped by the plan; reason: the last failed request's status (`404`) or error kind, else `exit:<category>`",
  },
  {
    name: 'exits_before_video_start',
    source: 'swarm',
    type: 'counter',
    unit: 'count',
    labels: [],
    meaning:
      'Viewer attempts the plan stopped (ramp down, run end, interrupt) before their first segment, with no failure seen',
  },
  {
    name: 'rebuffer_ratio',
    source: 'swarm',
    type: 'rate',
    unit: 'ratio',
    labels: [],
    meaning:
      'Stalled / (playing + stalled) time of the player model, after video start; one sample per viewer-second watched',
  },
  {
    name: 'rebuffer_frequency',
    source: 'swarm',
    type: 'rate',
    unit: 'per minute',
    labels: [],
    meaning:
      'Stalls that began per minute played (the start is not a stall); one sample per viewer-second played',
    rateScale: 60,
  },
  {
    name: 'live_latency',
    source: 'swarm',
    type: 'trend',
    unit: 'seconds',
    labels: [],
    meaning:
      "How far the player model's playhead is behind the newest published segment's end, per viewer per progress window",
  },
  {
    name: 'variant_bitrate',
    source: 'swarm',
    type: 'trend',
    unit: 'bits/s',
    labels: [],
    meaning: 'Segment bits a viewer pulled per second of media, per viewer per progress window',
  },
  {
    name: 'variant_switches',
    source: 'swarm',
    type: 'counter',
    unit: 'count',
    labels: [],
    meaning: 'Variant changes by a viewer mid-stream; ffmpeg viewers keep the variants they open (0)',
  },
  {
    name: 'request_errors',
    source: 'swarm',
    type: 'rate',
    unit: 'ratio',
    labels: ['kind'],
    meaning: 'Failed requests / all requests (kind: manifest, segment, init, other)',
  },
  {
    name: 'http_errors',
    source: 'swarm',
    type: 'counter',
    unit: 'count',
    labels: ['status', 'kind'],
    meaning: 'Responses with HTTP status >= 400; exists (as 0) as soon as a swarm is attached',
  },
  {
    name: 'restarts',
    source: 'swarm',
    type: 'counter',
    unit: 'count',
    labels: [],
    meaning: 'Viewer restarts by the supervisor; exists (as 0) as soon as a swarm is attached',
  },
  {
    name: 'stalled_clients',
    source: 'swarm',
    type: 'gauge',
    unit: 'clients',
    labels: [],
    meaning:
      'Viewers rebuffering now (player model) or whose latest playback window was stalled, at each swarm sample',
  },
  {
    name: 'clients_active',
    source: 'swarm',
    type: 'gauge',
    unit: 'clients',
    labels: [],
    meaning: 'Viewer processes running, at each swarm sample',
  },
  {
    name: 'throughput',
    source: 'swarm',
    type: 'gauge',
    unit: 'bytes/s',
    labels: [],
    meaning: 'Response bytes received by all viewers per second, at each swarm sample',
  },
  {
    name: 'generator_cpu_utilization',
    source: 'generator',
    type: 'gauge',
    unit: 'ratio',
    labels: [],
    meaning:
      'Load generator host: 1 − Δ(idle+iowait) / Δtotal of the `cpu` line of /proc/stat (all CPUs), between two swarm samples',
  },
  {
    name: 'generator_cpu_pressure',
    source: 'generator',
    type: 'gauge',
    unit: 'ratio',
    labels: [],
    meaning:
      'Δ(`some` total µs of /proc/pressure/cpu) / Δwall µs: share of wall time some task waited for a CPU (PSI); absent without PSI',
  },
  {
    name: 'generator_viewer_cpu_wait',
    source: 'generator',
    type: 'gauge',
    unit: 'ratio',
    labels: [],
    meaning:
      'Σ Δ(run-queue wait ns, 2nd field of /proc/<pid>/schedstat) over viewers present in both samples / (Δwall ns × their number)',
  },
  {
    name: 'generator_event_loop_delay',
    source: 'generator',
    type: 'gauge',
    unit: 'seconds',
    labels: [],
    meaning:
      'p99 of Node’s event-loop delay (perf_hooks.monitorEventLoopDelay) over each swarm sample interval',
  },
  {
    name: 'generator_light_scheduler_lateness',
    source: 'generator',
    type: 'gauge',
    unit: 'seconds',
    labels: [],
    meaning:
      'p99 of the light viewers’ one scheduler lateness (a task’s due time → when it ran) over each swarm sample interval; absent without light viewers',
  },
  {
    name: 'release_lateness',
    source: 'generator',
    type: 'trend',
    unit: 'seconds',
    labels: [],
    meaning:
      'Start gate: release time − planned start of a pre-started viewer (0 when on time), one value per release',
  },
  {
    name: 'dropped_log_lines',
    source: 'generator',
    type: 'counter',
    unit: 'count',
    labels: [],
    meaning:
      'ffmpeg log lines the swarm dropped (bounded buffers), sampled per swarm tick; exists (as 0) once a swarm is attached',
  },
  {
    name: 'nginx_requests_per_second',
    source: 'nginx',
    type: 'gauge',
    unit: 'requests/s',
    labels: [],
    meaning: 'Increase of nginx_http_requests_total between two scrapes / time between them (resets handled)',
  },
  {
    name: 'nginx_connections_active',
    source: 'nginx',
    type: 'gauge',
    unit: 'connections',
    labels: [],
    meaning: 'stub_status active connections, as nginx-exporter reports it',
  },
  {
    name: 'nginx_dropped_connections',
    source: 'nginx',
    type: 'counter',
    unit: 'count',
    labels: [],
    meaning: 'accepted − handled connections (stub_status); count = increase in the window',
  },
  {
    name: 'nginx_request_time',
    source: 'nginx-access-log',
    type: 'trend',
    unit: 'seconds',
    labels: ['kind', 'status'],
    meaning:
      'nginx $request_time per request from the JSON access log (kind by URI: manifest, segment, other)',
  },
  {
    name: 'node_cpu_utilization',
    source: 'node',
    type: 'gauge',
    unit: 'ratio',
    labels: [],
    meaning:
      '1 − Δidle / Δall of node_cpu_seconds_total summed over CPUs, between two scrapes (never since boot)',
  },
  {
    name: 'node_memory_utilization',
    source: 'node',
    type: 'gauge',
    unit: 'ratio',
    labels: [],
    meaning: '1 − MemAvailable / MemTotal',
  },
  {
    name: 'node_network_transmit_bytes_per_second',
    source: 'node',
    type: 'gauge',
    unit: 'bytes/s',
    labels: ['device'],
    meaning:
      'Δnode_network_transmit_bytes_total / Δt per device (lo on a loopback test); devices summed unless filtered',
  },
  {
    name: 'node_network_receive_bytes_per_second',
    source: 'node',
    type: 'gauge',
    unit: 'bytes/s',
    labels: ['device'],
    meaning: 'Δnode_network_receive_bytes_total / Δt per device; devices summed unless filtered',
  },
];

const BY_NAME = new Map(METRIC_CATALOGUE.map((entry) => [entry.name, entry]));

export function catalogueEntry(name: string): CatalogueEntry | undefined {
  return BY_NAME.get(name);
}

/**
 * The port contract of the system we re-create (the seed's "Port Configuration Guide").
 * Environment variables override the defaults exactly as the original scripts did.
 */
export const DEFAULT_PORTS = {
  /** nginx of the MicroVM/native/container origin (MICROVM_HTTP_PORT). */
  originHttp: 17080,
  /** python http.server origin (ORIGIN_PORT). */
  pythonOrigin: 17088,
  /** the swarm's own Prometheus endpoint (METRICS_PORT). */
  swarmMetrics: 17091,
  /** node-exporter, forwarded from guest 9100. */
  nodeExporter: 17100,
  /** nginx-exporter (MICROVM_METRICS_PORT), forwarded from guest 9113. */
  nginxExporter: 17113,
  /** SSH, forwarded from guest 22. */
  ssh: 17122,
  /** QEMU serial console (listens on the host itself). */
  serialConsole: 17022,
} as const;

/** Ports inside the guest/container (TAP mode reaches these directly). */
export const GUEST_PORTS = { http: 17080, nodeExporter: 9100, nginxExporter: 9113, ssh: 22 } as const;

/** TAP networking of the seed. Only ever used inside a network namespace in tests. */
export const TAP_NETWORK = {
  bridge: 'hlsbr0',
  tap: 'hlstap0',
  subnet: '10.177.0.0/24',
  gateway: '10.177.0.1',
  vmAddress: '10.177.0.10',
} as const;

export const PORT_ENV = {
  ORIGIN_PORT: 'pythonOrigin',
  METRICS_PORT: 'swarmMetrics',
  MICROVM_HTTP_PORT: 'originHttp',
  MICROVM_METRICS_PORT: 'nginxExporter',
} as const satisfies Record<string, keyof typeof DEFAULT_PORTS>;

export type PortName = keyof typeof DEFAULT_PORTS;

/**
 * The port to use for `name`: the seed default, overridden by its environment variable.
 * An invalid environment value is an error naming the variable, never a silent fallback.
 */
export function resolvePort(name: PortName, env: NodeJS.ProcessEnv = process.env): number {
  const variable = Object.entries(PORT_ENV).find(([, portName]) => portName === name)?.[0];
  const raw = variable ? env[variable] : undefined;
  if (raw === undefined || raw === '') return DEFAULT_PORTS[name];
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError(`${variable}: expected a TCP port 0-65535, got ${JSON.stringify(raw)}`);
  }
  return port;
}

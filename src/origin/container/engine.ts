import { request as httpRequest } from 'node:http';

/*
 * The container engine (Docker, or Podman's Docker-compatible API) as this driver sees it: where
 * it is (DOCKER_HOST), whether it answers, whether it has a usable `bridge` network, and the few
 * raw API calls the driver needs outside testcontainers (probing before testcontainers is loaded,
 * removing a container by id, reading an exit code). Plain HTTP over the socket, no dependency.
 */

export const DEFAULT_DOCKER_HOST = 'unix:///var/run/docker.sock';

export interface EngineEndpoint {
  /** What the user set (or the default), e.g. unix:///var/run/docker.sock or tcp://127.0.0.1:2375. */
  dockerHost: string;
  socketPath?: string;
  host?: string;
  port?: number;
  /** True for a unix socket: the engine runs on this host, so bind mounts and 127.0.0.1 reach it. */
  local: boolean;
}

/** Parses DOCKER_HOST (unix:// or tcp://; TLS engines are not supported by this probe). */
export function parseDockerHost(dockerHost: string): EngineEndpoint {
  if (dockerHost.startsWith('unix://')) {
    return { dockerHost, socketPath: dockerHost.slice('unix://'.length), local: true };
  }
  const match = /^(?:tcp|http):\/\/(\[[^\]]+\]|[^:/]+)(?::(\d+))?\/?$/.exec(dockerHost);
  if (match) {
    const host = (match[1] as string).replace(/^\[|\]$/g, '');
    const local = host === '127.0.0.1' || host === 'localhost' || host === '::1';
    return { dockerHost, host, port: match[2] ? Number(match[2]) : 2375, local };
  }
  throw new RangeError(
    `DOCKER_HOST: expected unix:///path/to/docker.sock or tcp://host:port, got '${dockerHost}'`,
  );
}

export function engineEndpoint(env: NodeJS.ProcessEnv = process.env): EngineEndpoint {
  return parseDockerHost(env.DOCKER_HOST || DEFAULT_DOCKER_HOST);
}

export interface EngineResponse {
  status: number;
  body: string;
}

/** One request to the engine's HTTP API (bounded in time; the body is read whole). */
export function engineRequest(
  endpoint: EngineEndpoint,
  method: string,
  path: string,
  timeoutMs = 5000,
): Promise<EngineResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        method,
        path,
        ...(endpoint.socketPath
          ? { socketPath: endpoint.socketPath }
          : { host: endpoint.host, port: endpoint.port }),
        headers: { Host: 'docker' },
        timeout: timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () =>
      req.destroy(new Error(`no answer from ${endpoint.dockerHost} within ${timeoutMs} ms`)),
    );
    req.on('error', reject);
    req.end();
  });
}

function errorText(error: unknown): string {
  const code = (error as { code?: string }).code;
  if (code === 'ENOENT') return 'socket does not exist';
  if (code === 'ECONNREFUSED') return 'connection refused';
  if (code === 'EACCES')
    return 'permission denied (add the user to the docker group, or use rootless Podman)';
  return error instanceof Error ? error.message : String(error);
}

/**
 * Whether a container engine answers at DOCKER_HOST (default /var/run/docker.sock), with a
 * one-line detail for `hls-swarm doctor`: engine name and version, or why it does not answer.
 */
export async function containerEngineStatus(
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ ok: boolean; detail: string }> {
  let endpoint: EngineEndpoint;
  try {
    endpoint = engineEndpoint(env);
  } catch (error) {
    return { ok: false, detail: errorText(error) };
  }
  try {
    const ping = await engineRequest(endpoint, 'GET', '/_ping', 3000);
    if (ping.status !== 200)
      return { ok: false, detail: `${endpoint.dockerHost}: /_ping answered HTTP ${ping.status}` };
    const version = await engineRequest(endpoint, 'GET', '/version', 3000);
    const info = JSON.parse(version.body) as {
      Version?: string;
      ApiVersion?: string;
      Components?: Array<{ Name?: string }>;
    };
    const isPodman = info.Components?.some((component) => /podman/i.test(component.Name ?? '')) ?? false;
    return {
      ok: true,
      detail: `${isPodman ? 'Podman' : 'Docker'} ${info.Version ?? '?'} (API ${info.ApiVersion ?? '?'}) at ${endpoint.dockerHost}`,
    };
  } catch (error) {
    return {
      ok: false,
      detail: `no container engine answers at ${endpoint.dockerHost}: ${errorText(error)}. Start Docker (or set DOCKER_HOST, e.g. to Podman's socket); see docs/container.md`,
    };
  }
}

/** Facts about the engine's networks that decide between mapped ports and host networking. */
export async function engineHasUsableBridge(endpoint: EngineEndpoint): Promise<boolean> {
  const answer = await engineRequest(endpoint, 'GET', '/networks/bridge');
  if (answer.status !== 200) return false;
  try {
    const network = JSON.parse(answer.body) as { Driver?: string };
    return network.Driver === 'bridge';
  } catch {
    return false;
  }
}

/** The image's id, or undefined when the engine does not have it. */
export async function engineImageId(endpoint: EngineEndpoint, image: string): Promise<string | undefined> {
  const answer = await engineRequest(endpoint, 'GET', `/images/${encodeURIComponent(image)}/json`);
  if (answer.status !== 200) return undefined;
  return (JSON.parse(answer.body) as { Id?: string }).Id;
}

/**
 * `docker pull image` through the engine (the engine, not this host, must reach the registry).
 * ok=false with the engine's reason when no registry answers; `timeoutMs` bounds silence, not the pull.
 */
export async function enginePullImage(
  endpoint: EngineEndpoint,
  image: string,
  timeoutMs = 30_000,
): Promise<{ ok: boolean; detail: string }> {
  const slash = image.lastIndexOf('/');
  const colon = image.lastIndexOf(':');
  const [repository, tag] =
    colon > slash ? [image.slice(0, colon), image.slice(colon + 1)] : [image, 'latest'];
  let answer: EngineResponse;
  try {
    answer = await engineRequest(
      endpoint,
      'POST',
      `/images/create?fromImage=${encodeURIComponent(repository)}&tag=${encodeURIComponent(tag)}`,
      timeoutMs,
    );
  } catch (error) {
    return { ok: false, detail: error instanceof Error ? error.message : String(error) };
  }
  // An error before the pull starts is an HTTP status; one during it is a line of the JSON stream.
  const messages = answer.body
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      try {
        return JSON.parse(line) as { message?: string; error?: string };
      } catch {
        return { error: line.trim() };
      }
    });
  const failure = messages.find((message) => message.error !== undefined || answer.status !== 200);
  if (answer.status !== 200 || failure) {
    return {
      ok: false,
      detail: `HTTP ${answer.status}: ${failure?.error ?? failure?.message ?? answer.body.trim()}`,
    };
  }
  return { ok: true, detail: `pulled ${image}` };
}

export interface ContainerState {
  running: boolean;
  exitCode?: number;
  oomKilled?: boolean;
  finishedAt?: string;
}

/** The container's state, or undefined when it no longer exists. */
export async function engineContainerState(
  endpoint: EngineEndpoint,
  id: string,
): Promise<ContainerState | undefined> {
  const answer = await engineRequest(endpoint, 'GET', `/containers/${encodeURIComponent(id)}/json`);
  if (answer.status === 404) return undefined;
  if (answer.status !== 200) throw new Error(`inspect ${id}: HTTP ${answer.status} ${answer.body.trim()}`);
  const state = (JSON.parse(answer.body) as { State?: Record<string, unknown> }).State ?? {};
  return {
    running: state.Running === true,
    ...(typeof state.ExitCode === 'number' ? { exitCode: state.ExitCode } : {}),
    ...(typeof state.OOMKilled === 'boolean' ? { oomKilled: state.OOMKilled } : {}),
    ...(typeof state.FinishedAt === 'string' ? { finishedAt: state.FinishedAt } : {}),
  };
}

/** `docker rm -f -v <id>`; true when it is gone (or was already). */
export async function engineRemoveContainer(endpoint: EngineEndpoint, id: string): Promise<boolean> {
  const answer = await engineRequest(
    endpoint,
    'DELETE',
    `/containers/${encodeURIComponent(id)}?force=1&v=1`,
    30_000,
  );
  return answer.status === 204 || answer.status === 404;
}

/** Ids of the containers (running or not) that carry `label` (key or key=value). */
export async function engineContainersWithLabel(endpoint: EngineEndpoint, label: string): Promise<string[]> {
  const filters = encodeURIComponent(JSON.stringify({ label: [label] }));
  const answer = await engineRequest(endpoint, 'GET', `/containers/json?all=1&filters=${filters}`);
  if (answer.status !== 200) throw new Error(`list containers: HTTP ${answer.status}`);
  return (JSON.parse(answer.body) as Array<{ Id: string }>).map((container) => container.Id);
}

/**
 * testcontainers reads these from process.env only, so they are set there (never overriding
 * what the user set):
 * - TESTCONTAINERS_RYUK_DISABLED=true: our watchdog (ownContainer) removes containers if Node
 *   dies; Ryuk's image would have to be pulled, which offline machines cannot.
 * - TESTCONTAINERS_HOST_OVERRIDE=127.0.0.1 for a local engine: ports are bound to 127.0.0.1 and
 *   host networking listens there. Without it, where /.dockerenv exists testcontainers assumes it
 *   runs inside a container and looks for the `bridge` network's gateway (absent with
 *   `--bridge=none`), and elsewhere it says 'localhost', which may resolve to ::1.
 * Returns the names it set.
 */
export function applyTestcontainersDefaults(
  endpoint: EngineEndpoint,
  env: NodeJS.ProcessEnv = process.env,
): string[] {
  const set: string[] = [];
  if (env.TESTCONTAINERS_RYUK_DISABLED === undefined) {
    env.TESTCONTAINERS_RYUK_DISABLED = 'true';
    set.push('TESTCONTAINERS_RYUK_DISABLED');
  }
  if (env.TESTCONTAINERS_HOST_OVERRIDE === undefined && endpoint.local) {
    env.TESTCONTAINERS_HOST_OVERRIDE = '127.0.0.1';
    set.push('TESTCONTAINERS_HOST_OVERRIDE');
  }
  return set;
}

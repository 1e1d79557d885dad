import { GUEST_PORTS, type OriginSpec, resolvePort } from '../../config/index.js';
import { claimPorts } from '../../system/index.js';
import { OriginStartError } from '../errors.js';

type VmOriginSpec = Extract<OriginSpec, { kind: 'vm' }>;

/** Host ports of the VM: its forwards (user networking) or the guest's own ports (tap). */
export interface VmPorts {
  http: number;
  nginxExporter: number;
  nodeExporter: number;
  ssh?: number;
  console?: number;
}

/**
 * Ports first: a busy one is an error naming it, before anything is built or booted. With user
 * networking every forward is claimed on `spec.hostAddress` (0 picks a free port); on a tap
 * network the guest's own ports are used and only the serial console's TCP port is claimed.
 */
export async function claimVmPorts(spec: VmOriginSpec, env: NodeJS.ProcessEnv): Promise<VmPorts> {
  if (spec.network !== 'user') {
    const ports: VmPorts = {
      http: GUEST_PORTS.http,
      nginxExporter: GUEST_PORTS.nginxExporter,
      nodeExporter: GUEST_PORTS.nodeExporter,
    };
    if (spec.consolePort !== undefined) {
      ports.console = (
        await claimPorts([[spec.consolePort, 'vm serial console (TCP)']], spec.hostAddress)
      )[0];
    }
    return ports;
  }
  const httpWanted = spec.port ?? resolvePort('originHttp', env);
  const otherDefault = (name: 'nginxExporter' | 'nodeExporter' | 'ssh') =>
    httpWanted === 0 ? 0 : resolvePort(name, env);
  const requests: Array<[number, string]> = [
    [httpWanted, `vm origin HTTP forward to guest ${GUEST_PORTS.http} (MICROVM_HTTP_PORT)`],
    [
      spec.nginxExporterPort ?? otherDefault('nginxExporter'),
      `vm nginx-exporter forward to guest ${GUEST_PORTS.nginxExporter} (MICROVM_METRICS_PORT)`,
    ],
    [
      spec.nodeExporterPort ?? otherDefault('nodeExporter'),
      `vm node-exporter forward to guest ${GUEST_PORTS.nodeExporter}`,
    ],
  ];
  if (spec.sshPublicKey)
    requests.push([spec.sshPort ?? otherDefault('ssh'), `vm SSH forward to guest ${GUEST_PORTS.ssh}`]);
  if (spec.consolePort !== undefined) requests.push([spec.consolePort, 'vm serial console (TCP)']);
  if (spec.runner !== undefined && requests.some(([port]) => port === 0)) {
    throw new OriginStartError(
      'vm origin: with `runner`, the forwards are fixed by the runner (the Nix config): ports cannot be 0',
      { kind: 'vm', part: 'port' },
    );
  }
  const claimed = await claimPorts(requests, spec.hostAddress);
  const ports: VmPorts = {
    http: claimed[0] as number,
    nginxExporter: claimed[1] as number,
    nodeExporter: claimed[2] as number,
  };
  let next = 3;
  if (spec.sshPublicKey) ports.ssh = claimed[next++] as number;
  if (spec.consolePort !== undefined) ports.console = claimed[next++] as number;
  return ports;
}

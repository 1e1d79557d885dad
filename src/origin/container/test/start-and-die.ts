// Test helper run as a separate Node process: starts a container origin on the engine at
// DOCKER_HOST, prints its container id, then waits to be killed. The test SIGKILLs it and checks
// that the watchdog removes the container (no stop() ever runs in here).
import { containerOriginSchema } from '../../../config/index.js';
import { startOrigin } from '../../registry.js';
import { ORIGIN_CONTAINER_LABEL } from '../driver.js';
import { engineContainersWithLabel, engineEndpoint } from '../engine.js';

const origin = await startOrigin(
  containerOriginSchema.parse({
    kind: 'container',
    profile: 'tiny',
    port: 0,
    nginxExporterPort: 0,
    nodeExporterPort: 0,
  }),
);
const ids = await engineContainersWithLabel(engineEndpoint(process.env), ORIGIN_CONTAINER_LABEL);
process.stdout.write(`${JSON.stringify({ ids, streamUrl: origin.streamUrl })}\n`);
setInterval(() => {}, 1000);

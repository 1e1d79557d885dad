import type { OriginDriver } from '../types.js';
import { type ContainerOriginSpec, startContainerOrigin } from './driver.js';

/*
 * The `container` origin kind: nginx, the generator and both exporters in one container, run
 * through testcontainers on Docker or Podman (DOCKER_HOST). See docs/container.md.
 * testcontainers itself is loaded only when a container origin starts.
 */
export const driver: OriginDriver<ContainerOriginSpec> = {
  kind: 'container',
  start: startContainerOrigin,
};

export {
  type BaseImage,
  DEFAULT_BASE_IMAGE,
  ensureBaseImage,
  importOfflineBaseImage,
  OFFLINE_BASE_IMAGE,
} from './base-image.js';
export {
  type ContainerOriginSpec,
  type ContainerStartOptions,
  ORIGIN_CONTAINER_LABEL,
  startContainerOrigin,
} from './driver.js';
export {
  applyTestcontainersDefaults,
  containerEngineStatus,
  DEFAULT_DOCKER_HOST,
  type EngineEndpoint,
  engineContainersWithLabel,
  engineEndpoint,
  engineHasUsableBridge,
  parseDockerHost,
} from './engine.js';
export { containerContextDir, ensureOriginImage, ORIGIN_IMAGE_REPO, originImageTag } from './image.js';
export { decideNetworkMode, planContainerOrigin } from './plan.js';

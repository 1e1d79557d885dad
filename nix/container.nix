# The hls-swarm origin image for Nix users: the Nix counterpart of nix/container/Dockerfile.
# Same entrypoint (nix/container/entrypoint.sh), same inputs: the container driver renders the
# nginx config and the generator's arguments in TypeScript at start time and copies them into
# /etc/hls-swarm, so this image serves exactly what the Debian-based image and the native origin do.
#
#   nix-build nix/container.nix -o result && docker load < result
#   # then: origin: { kind: 'container', image: 'hls-swarm/origin:nix' }
#
# (It cannot be built on the machines this project is tested on: nixpkgs is not reachable there.
# Tests only check that it parses.)
{
  pkgs ? import <nixpkgs> { },
  tag ? "nix",
}:

let
  # Names differ from Debian's; the entrypoint takes them from the environment.
  nginxExporter = pkgs.prometheus-nginx-exporter;
  nodeExporter = pkgs.prometheus-node-exporter;

  entrypoint = pkgs.writeTextFile {
    name = "hls-origin-entrypoint";
    executable = true;
    destination = "/usr/local/bin/hls-origin-entrypoint";
    text = builtins.replaceStrings [ "#!/bin/bash" ] [ "#!${pkgs.bash}/bin/bash" ] (
      builtins.readFile ./container/entrypoint.sh
    );
  };

  runtimePath = pkgs.lib.makeBinPath [
    pkgs.bash
    pkgs.coreutils
    pkgs.gnused
    pkgs.procps
    pkgs.nginx
    pkgs.ffmpeg-headless
    nginxExporter
    nodeExporter
  ];
in
pkgs.dockerTools.buildLayeredImage {
  name = "hls-swarm/origin";
  inherit tag;

  contents = [
    entrypoint
    pkgs.bash
    pkgs.coreutils
    pkgs.gnused
    pkgs.procps
    pkgs.nginx
    pkgs.ffmpeg-headless
    nginxExporter
    nodeExporter
    # nginx started as root switches its workers to `nobody`: it must exist in /etc/passwd.
    pkgs.dockerTools.fakeNss
  ];

  # Folders the entrypoint and nginx expect; /tmp for ffmpeg and nginx temp files.
  extraCommands = ''
    mkdir -p etc/hls-swarm var/hls var/log/hls-swarm var/log/nginx run/hls-swarm tmp
    chmod 1777 tmp
  '';

  config = {
    Entrypoint = [ "/usr/local/bin/hls-origin-entrypoint" ];
    StopSignal = "SIGTERM";
    Env = [
      "PATH=${runtimePath}:/usr/local/bin"
      "HLS_CONF_DIR=/etc/hls-swarm"
      "HLS_ROOT=/var/hls"
      "HLS_HTTP_PORT=17080"
      "HLS_NGINX_EXPORTER_LISTEN=0.0.0.0:9113"
      "HLS_NODE_EXPORTER_LISTEN=0.0.0.0:9100"
      "HLS_EXPORTERS=1"
      "HLS_NGINX_EXPORTER_BIN=nginx-prometheus-exporter"
      "HLS_NODE_EXPORTER_BIN=node_exporter"
    ];
    ExposedPorts = {
      "17080/tcp" = { };
      "9113/tcp" = { };
      "9100/tcp" = { };
    };
    Labels = {
      "org.opencontainers.image.title" = "hls-swarm origin";
      "org.opencontainers.image.description" =
        "Live HLS test stream: ffmpeg generator, nginx, nginx and node exporters";
    };
  };
}

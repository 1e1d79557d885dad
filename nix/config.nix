# The pure data of the hls-swarm origin VM: ports, TAP network, generator profiles and the
# rendered guest files. It imports nothing from nixpkgs, so it evaluates offline:
#   nix-instantiate --eval --strict --json nix/config.nix
# A unit test (src/origin/vm/nix.test.ts) checks it equals the TypeScript definitions
# (src/config/ports.ts, src/origin/profiles.json, src/origin/vm/guest-files.ts).
let
  profilesFile = builtins.fromJSON (builtins.readFile ../src/origin/profiles.json);
  guestFilesFile = builtins.fromJSON (builtins.readFile ./generated/guest-files.json);
in
rec {
  # Host ports of the seed ("Port Configuration Guide"); same names as DEFAULT_PORTS.
  ports = {
    originHttp = 17080;
    pythonOrigin = 17088;
    swarmMetrics = 17091;
    nodeExporter = 17100;
    nginxExporter = 17113;
    ssh = 17122;
    serialConsole = 17022;
  };

  # Ports inside the guest (TAP mode reaches these directly); same names as GUEST_PORTS.
  guestPorts = {
    http = 17080;
    nodeExporter = 9100;
    nginxExporter = 9113;
    ssh = 22;
  };

  # User-mode forwards exactly as the seed lists them (host → guest).
  forwards = [
    { name = "http"; host = ports.originHttp; guest = guestPorts.http; }
    { name = "ssh"; host = ports.ssh; guest = guestPorts.ssh; }
    { name = "nginxExporter"; host = ports.nginxExporter; guest = guestPorts.nginxExporter; }
    { name = "nodeExporter"; host = ports.nodeExporter; guest = guestPorts.nodeExporter; }
  ];

  # Security unlike the reference tool: forwards and the TCP console bind loopback unless asked.
  defaultForwardAddress = "127.0.0.1";

  # TAP networking of the seed; same names as TAP_NETWORK.
  tap = {
    bridge = "hlsbr0";
    tap = "hlstap0";
    subnet = "10.177.0.0/24";
    gateway = "10.177.0.1";
    vmAddress = "10.177.0.10";
  };
  tapPrefixLength = 24;
  # Locally administered MAC for the guest NIC.
  vmMac = "02:00:0a:b1:00:0a";

  profiles = profilesFile.profiles;
  profileNames = builtins.attrNames profilesFile.profiles;
  defaultProfile = "default";

  # The same nginx.conf and generator scripts as the native and Debian-VM origins.
  guestFiles = guestFilesFile.files;
  nginxConf = guestFiles."etc/hls/nginx.conf".text;
  generatorScripts = builtins.listToAttrs (
    map (profile: {
      name = profile;
      value = guestFiles."etc/hls/generator/${profile}.sh".text;
    }) profileNames
  );

  guest = {
    hostName = "hls-origin-vm";
    memoryMiB = 1024;
    vcpus = 2;
    streamDir = "/var/hls";
  };
}

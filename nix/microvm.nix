# NixOS MicroVM (microvm.nix) of the hls-swarm origin: the live generator, nginx with the SAME
# config as the native and Debian-VM origins (nix/generated/guest-files.json, rendered from
# src/origin/nginx/config.ts and src/origin/generator.ts), prometheus-nginx-exporter on 9113 and
# node-exporter on 9100 (loopback included). Pure data comes from ./config.nix.
#
# Security, unlike the reference tool: root has no password (locked), SSH is off unless
# hlsOrigin.sshAuthorizedKeys is non-empty (then keys only), and the user-mode forwards and the
# TCP serial console bind 127.0.0.1 unless hlsOrigin.forwardAddress says otherwise.
{ config, lib, pkgs, ... }:
let
  data = import ./config.nix;
  cfg = config.hlsOrigin;
  sshEnabled = cfg.sshAuthorizedKeys != [ ];
  nginxConf = pkgs.writeText "hls-nginx.conf" data.nginxConf;
  generatorScripts = pkgs.runCommand "hls-generator-scripts" { } (
    "mkdir -p $out\n"
    + lib.concatStrings (
      lib.mapAttrsToList (name: text: ''
        cp ${pkgs.writeText "generator-${name}.sh" text} $out/${name}.sh
      '') data.generatorScripts
    )
  );
  forwards = builtins.filter (forward: forward.name != "ssh" || sshEnabled) data.forwards;
in
{
  options.hlsOrigin = {
    profile = lib.mkOption {
      type = lib.types.enum data.profileNames;
      default = data.defaultProfile;
      description = "Generator profile (src/origin/profiles.json); the kernel parameter hls.profile= overrides it at boot.";
    };
    useTap = lib.mkOption {
      type = lib.types.bool;
      default = false;
      description = "TAP networking (bridge hlsbr0, tap hlstap0, VM at 10.177.0.10) instead of user-mode forwards. Set the bridge up with nix/tap/setup.sh first.";
    };
    forwardAddress = lib.mkOption {
      type = lib.types.str;
      default = data.defaultForwardAddress;
      description = "Host address the user-mode forwards and the TCP serial console bind (127.0.0.1 unless you mean otherwise).";
    };
    sshAuthorizedKeys = lib.mkOption {
      type = lib.types.listOf lib.types.str;
      default = [ ];
      description = "Public keys allowed to log in as root over SSH. Empty (the default) means no SSH server at all.";
    };
  };

  config = {
    networking.hostName = data.guest.hostName;
    system.stateVersion = "24.11";

    microvm = {
      hypervisor = "qemu";
      mem = data.guest.memoryMiB;
      vcpu = data.guest.vcpus;
      shares = [
        {
          source = "/nix/store";
          mountPoint = "/nix/.ro-store";
          tag = "ro-store";
          proto = "9p";
        }
      ];
      interfaces =
        if cfg.useTap then
          [ { type = "tap"; id = data.tap.tap; mac = data.vmMac; } ]
        else
          [ { type = "user"; id = "hls-user"; mac = data.vmMac; } ];
      forwardPorts = lib.optionals (!cfg.useTap) (
        map (forward: {
          from = "host";
          host.address = cfg.forwardAddress;
          host.port = forward.host;
          guest.port = forward.guest;
        }) forwards
      );
      # The seed's serial console on TCP 17022, bound to loopback by default.
      qemu.serialConsole = false;
      qemu.extraArgs = [
        "-serial"
        "tcp:${cfg.forwardAddress}:${toString data.ports.serialConsole},server=on,wait=off"
      ];
    };

    boot.kernelParams = [ "console=ttyS0" "hls.profile=${cfg.profile}" ];

    # eth0, not enp0sN: the static TAP address below names it.
    networking.usePredictableInterfaceNames = false;
    networking.useDHCP = !cfg.useTap;
    networking.interfaces = lib.mkIf cfg.useTap {
      eth0.ipv4.addresses = [ { address = data.tap.vmAddress; prefixLength = data.tapPrefixLength; } ];
    };
    networking.defaultGateway = lib.mkIf cfg.useTap data.tap.gateway;
    networking.firewall.allowedTCPPorts =
      [ data.guestPorts.http data.guestPorts.nginxExporter data.guestPorts.nodeExporter ]
      ++ lib.optional sshEnabled data.guestPorts.ssh;

    # No empty password anywhere: root is locked; users are declared here only.
    users.mutableUsers = false;
    users.users.root.hashedPassword = "!";
    users.users.root.openssh.authorizedKeys.keys = cfg.sshAuthorizedKeys;
    # The rendered nginx.conf runs its workers as www-data (the Debian name); the generator too.
    users.groups.www-data = { };
    users.users.www-data = { isSystemUser = true; group = "www-data"; };

    services.openssh = {
      enable = sshEnabled;
      settings = {
        PasswordAuthentication = false;
        KbdInteractiveAuthentication = false;
        PermitRootLogin = "prohibit-password";
      };
    };

    systemd.tmpfiles.rules = [
      "d ${data.guest.streamDir} 0755 www-data www-data -"
      "d /var/log/hls 0755 root root -"
      "d /var/lib/hls-nginx/tmp 0755 www-data www-data -"
    ];

    systemd.services.hls-generator = {
      description = "HLS test stream generator (profile from hls.profile= on the kernel command line)";
      wantedBy = [ "multi-user.target" ];
      after = [ "systemd-tmpfiles-setup.service" ];
      path = [ pkgs.ffmpeg-headless pkgs.gnused ];
      serviceConfig = {
        User = "www-data";
        Group = "www-data";
        Restart = "always";
        RestartSec = 1;
      };
      script = ''
        profile=$(sed -n 's/.*hls\.profile=\([^ ]*\).*/\1/p' /proc/cmdline)
        [ -f "${generatorScripts}/$profile.sh" ] || profile=${cfg.profile}
        exec sh "${generatorScripts}/$profile.sh"
      '';
    };

    systemd.services.hls-nginx = {
      description = "nginx serving the HLS stream (the shared hls-swarm config)";
      wantedBy = [ "multi-user.target" ];
      after = [ "systemd-tmpfiles-setup.service" "network.target" ];
      serviceConfig = {
        ExecStart = "${pkgs.nginx}/bin/nginx -c ${nginxConf}";
        ExecReload = "${pkgs.coreutils}/bin/kill -HUP $MAINPID";
        Restart = "always";
        RestartSec = 1;
      };
    };

    services.prometheus.exporters.nginx = {
      enable = true;
      port = data.guestPorts.nginxExporter;
      listenAddress = "0.0.0.0";
      scrapeUri = "http://127.0.0.1:${toString data.guestPorts.http}/nginx_status";
    };
    services.prometheus.exporters.node = {
      enable = true;
      port = data.guestPorts.nodeExporter;
      listenAddress = "0.0.0.0";
      # Keep loopback in the netdev metrics (Debian's default drops it; be explicit everywhere).
      extraFlags = [ "--collector.netdev.device-exclude=^$" ];
    };

    # systemd answers the ACPI power button (QMP system_powerdown) with a clean shutdown.
    services.logind.powerKey = "poweroff";
    environment.systemPackages = [ pkgs.curl pkgs.procps pkgs.iproute2 ];
  };
}

{
  description = "hls-swarm: HLS load tests as Vitest scenarios, with a NixOS MicroVM origin";

  inputs = {
    nixpkgs.url = "github:NixOS/nixpkgs/nixos-24.11";
    microvm = {
      url = "github:astro/microvm.nix";
      inputs.nixpkgs.follows = "nixpkgs";
    };
  };

  outputs =
    { self, nixpkgs, microvm }:
    let
      system = "x86_64-linux";
      pkgs = nixpkgs.legacyPackages.${system};
      data = import ./nix/config.nix;

      # A MicroVM origin; pass your own settings, e.g.
      #   self.lib.mkOriginVm { sshAuthorizedKeys = [ "ssh-ed25519 AAAA… me" ]; profile = "tiny"; }
      mkOriginVm =
        settings:
        nixpkgs.lib.nixosSystem {
          inherit system;
          modules = [
            microvm.nixosModules.microvm
            ./nix/microvm.nix
            { hlsOrigin = settings; }
          ];
        };

      originVm = mkOriginVm { };
      originVmTap = mkOriginVm { useTap = true; };
      runner = vm: vm.config.microvm.declaredRunner;
    in
    {
      lib = { inherit mkOriginVm data; };

      nixosConfigurations = {
        hls-origin-vm = originVm;
        hls-origin-vm-tap = originVmTap;
      };

      packages.${system} = {
        test-origin-vm = runner originVm;
        test-origin-vm-tap = runner originVmTap;
        default = runner originVm;
      };

      apps.${system} = {
        # nix run .#test-origin-vm  (the seed's ports on 127.0.0.1; serial console on 127.0.0.1:17022)
        test-origin-vm = {
          type = "app";
          program = "${runner originVm}/bin/microvm-run";
        };
        test-origin-vm-tap = {
          type = "app";
          program = "${runner originVmTap}/bin/microvm-run";
        };
      };

      devShells.${system}.default = pkgs.mkShell {
        packages = [
          pkgs.nodejs_22
          pkgs.ffmpeg-headless
          pkgs.nginx
          pkgs.prometheus-nginx-exporter
          pkgs.prometheus-node-exporter
          pkgs.qemu
          pkgs.e2fsprogs
          pkgs.iproute2
        ];
        shellHook = ''
          echo "hls-swarm dev shell: node $(node --version), ffmpeg, nginx, exporters, qemu"
        '';
      };
    };
}

/** The OCI platform of this host, as image configs and manifests name it. */

const OCI_ARCH: Readonly<Record<string, string>> = {
  x64: 'amd64',
  arm64: 'arm64',
  arm: 'arm',
  ia32: '386',
  ppc64: 'ppc64le',
  s390x: 's390x',
  riscv64: 'riscv64',
  mips64el: 'mips64le',
  loong64: 'loong64',
};

export function ociArchitecture(nodeArch: string = process.arch): string {
  return OCI_ARCH[nodeArch] ?? nodeArch;
}

export interface Platform {
  architecture: string;
  os: string;
}

/** The platform images made on this host (import, build) are for. */
export function hostPlatform(): Platform {
  return { architecture: ociArchitecture(), os: 'linux' };
}

/** An rtnetlink socket of the addon, bound to one network namespace. */
import { closeSync } from 'node:fs';
import { addon } from '../../native/addon.js';

/** What Rtnetlink sends its requests through; unit tests pass a fake. */
export interface NetlinkTransport {
  /** Sends one whole message and returns the reply messages (dump parts, or none for an ACK). */
  request(message: Buffer): Buffer[];
  close(): void;
}

export class NetlinkSocket implements NetlinkTransport {
  private fd: number | undefined;

  /** netnsPath '' is the caller's own namespace. */
  constructor(netnsPath: string) {
    this.fd = addon().netlinkOpen(netnsPath);
  }

  request(message: Buffer): Buffer[] {
    if (this.fd === undefined) throw new Error('netlink: the socket is closed');
    return addon().netlinkRequest(this.fd, message);
  }

  close(): void {
    if (this.fd === undefined) return;
    closeSync(this.fd);
    this.fd = undefined;
  }
}

import { AddressShare } from '../../src/http/address-share';

describe('AddressShare', () => {
  it('admits an address up to its share and again once one of its sockets is released', () => {
    const share = new AddressShare(2);
    const first = share.admit('203.0.113.7');
    expect(first).toBeDefined();
    expect(share.admit('203.0.113.7')).toBeDefined();
    expect(share.admit('203.0.113.7')).toBeUndefined();
    expect(share.held('203.0.113.7')).toBe(2);
    first?.();
    expect(share.admit('203.0.113.7')).toBeDefined();
  });

  it('counts each address on its own', () => {
    const share = new AddressShare(1);
    expect(share.admit('203.0.113.7')).toBeDefined();
    expect(share.admit('203.0.113.7')).toBeUndefined();
    expect(share.admit('203.0.113.8')).toBeDefined();
  });

  it('counts an IPv6 client by its /64 and an IPv4-mapped client as its IPv4 address', () => {
    const share = new AddressShare(2);
    expect(share.admit('2001:db8:0:1::1')).toBeDefined();
    expect(share.admit('2001:db8:0:1:ffff:ffff:ffff:fffe')).toBeDefined();
    expect(share.admit('2001:db8:0:1::2')).toBeUndefined();
    expect(share.admit('2001:db8:0:2::1')).toBeDefined();
    expect(share.admit('203.0.113.7')).toBeDefined();
    expect(share.admit('::ffff:203.0.113.7')).toBeDefined();
    expect(share.admit('::ffff:203.0.113.7')).toBeUndefined();
  });

  it('forgets an address whose sockets have all closed, so it holds only live addresses', () => {
    const share = new AddressShare(3);
    const releases = Array.from({ length: 1000 }, (_, i) => share.admit(`198.51.${i >> 8}.${i & 255}`));
    expect(share.size).toBe(1000);
    for (const release of releases) release?.();
    expect(share.size).toBe(0);
  });
});

/** The allow list: IPv4/IPv6 CIDRs and bare addresses, IPv4-mapped IPv6 peers, and what an empty list means. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AllowList, parseCidr } from '../../src/ingest/access-control.js';

test('parseCidr accepts IPv4/IPv6 blocks and bare addresses, refuses the rest', () => {
  assert.deepEqual(parseCidr('10.0.0.0/8'), { address: '10.0.0.0', prefix: 8, family: 'ipv4' });
  assert.deepEqual(parseCidr('2001:db8::/32'), { address: '2001:db8::', prefix: 32, family: 'ipv6' });
  assert.deepEqual(parseCidr('192.0.2.1'), { address: '192.0.2.1', prefix: 32, family: 'ipv4' });
  assert.deepEqual(parseCidr('::1'), { address: '::1', prefix: 128, family: 'ipv6' });
  for (const bad of ['10.0.0.0/33', '::/129', '10.0.0.0/', '10.0.0.0/08', 'example.com', '10.0.0/8', '', '1.2.3.4/-1', '10.0.0.0/8/8']) {
    assert.equal(parseCidr(bad), null, bad);
  }
});

test('AllowList admits addresses inside its blocks only; IPv4-mapped IPv6 peers are checked as IPv4', () => {
  const l = new AllowList(['10.1.0.0/16', '127.0.0.3/32', '2001:db8:aa::/48']);
  assert.equal(l.allowsAll, false);
  for (const ok of ['10.1.2.3', '::ffff:10.1.200.1', '127.0.0.3', '2001:db8:aa::5', '2001:db8:aa:ffff::1']) assert.equal(l.allows(ok), true, ok);
  for (const no of ['10.2.0.1', '::ffff:10.2.0.1', '127.0.0.2', '127.0.0.1', '2001:db8:ab::1', '::1', 'garbage', undefined]) assert.equal(l.allows(no), false, String(no));
  const zone = new AllowList(['fe80::/10']);
  assert.equal(zone.allows('fe80::1%eth0'), true);
});

test('an empty AllowList admits everyone (the default)', () => {
  const l = new AllowList([]);
  assert.equal(l.allowsAll, true);
  assert.equal(l.allows('203.0.113.9'), true);
  assert.equal(l.allows(undefined), true);
});

import { describe, expect, it } from 'vitest';
import {
  escapeGlob,
  isRotatedCopy,
  isRotatedName,
  patternCovers,
  rotatedFrom,
  segmentMatches,
  withRotations,
} from '#shared/ship/paths.ts';

describe('shipper paths', () => {
  it.each([
    ['*.log', 'app.log', true],
    ['*.log', '.hidden.log', false],
    ['.*.log', '.hidden.log', true],
    ['app.log.*', 'app.log.1', true],
    ['app?.log', 'app1.log', true],
    ['[ab]pp.log', 'bpp.log', true],
    ['[!ab]pp.log', 'bpp.log', false],
    ['my app.log', 'my app.log', true],
    ['a\\*b', 'a*b', true],
    ['a\\*b', 'axb', false],
  ])('segment %j matches %j: %s', (segment, name, expected) => {
    expect(segmentMatches(segment, name)).toBe(expected);
  });

  it('covers paths as bash globstar expands them', () => {
    const g = { glob: '/var/log/app/**/*.log' };
    expect(patternCovers(g, '/var/log/app/a.log')).toBe(true);
    expect(patternCovers(g, '/var/log/app/x/y/a.log')).toBe(true);
    expect(patternCovers(g, '/var/log/app/.x/a.log')).toBe(false);
    expect(patternCovers(g, '/var/log/other/a.log')).toBe(false);
    expect(patternCovers({ tree: '/srv/logs' }, '/srv/logs/a/b.log')).toBe(true);
    expect(patternCovers({ tree: '/srv/logs' }, '/srv/logs2/b.log')).toBe(false);
  });

  it('escapes a path so it matches only itself', () => {
    const glob = escapeGlob('/var/log/weird [1] *?.log');
    expect(patternCovers({ glob }, '/var/log/weird [1] *?.log')).toBe(true);
    expect(patternCovers({ glob }, '/var/log/weird 1 ab.log')).toBe(false);
  });

  it('adds the rotated copies G-* and G.* to every glob', () => {
    const patterns = withRotations('/var/log/messages');
    expect(patterns.some((p) => patternCovers(p, '/var/log/messages-20261124'))).toBe(true);
    expect(patterns.some((p) => patternCovers(p, '/var/log/messages.1.gz'))).toBe(true);
    expect(patterns.some((p) => patternCovers(p, '/var/log/messagesX'))).toBe(false);
  });

  it.each([
    ['/var/log/app.log.1', '/var/log/app.log'],
    ['/var/log/app.log.2.gz', '/var/log/app.log'],
    ['/var/log/messages-20261124', '/var/log/messages'],
    ['/var/log/messages-20261124.gz', '/var/log/messages'],
    ['/var/log/access.log.2026-11-24', '/var/log/access.log'],
    ['/var/log/app.log', '/var/log/app.log'],
  ])('knows %s was rotated from %s', (path, from) => {
    expect(rotatedFrom(path)).toBe(from);
    expect(isRotatedName(path)).toBe(path !== from);
  });

  it('calls a file a rotated copy only when the log it was rotated from is there too', () => {
    const present = new Set(['/var/log/app.log', '/var/log/app.log.1', '/var/log/server-01']);
    expect(isRotatedCopy('/var/log/app.log.1', present)).toBe(true);
    expect(isRotatedCopy('/var/log/server-01', present)).toBe(false);
    expect(isRotatedCopy('/var/log/app.log', present)).toBe(false);
  });
});

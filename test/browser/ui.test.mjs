// Unit tests of the UI's pure functions (no browser): node --test
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseThreshold, parseValue, fmt } from '../../internal/dashboard/ui/chart.js';
import { age, span, meaning, verdictTone, shiftText, scoreText } from '../../internal/dashboard/ui/format.js';
import { parseHash, listHash, rolloutHref } from '../../internal/dashboard/ui/route.js';

test('parseThreshold reads simple comparisons only', () => {
  assert.deepEqual(parseThreshold('result[0] < 0.05'), { op: '<', value: 0.05 });
  assert.deepEqual(parseThreshold(' result >= 95 '), { op: '>=', value: 95 });
  assert.deepEqual(parseThreshold('0.5 > result[0]'), { op: '<', value: 0.5 });
  assert.deepEqual(parseThreshold('result[0] <= 1e-3'), { op: '<=', value: 0.001 });
  for (const c of ['', undefined, 'result[0] < 0.05 && result[1] < 1', 'len(result) > 0', 'result[1] < 2', 'result[0] < x']) {
    assert.equal(parseThreshold(c), null, String(c));
  }
});

test('parseValue takes the first number of a measured value', () => {
  assert.equal(parseValue('0.012'), 0.012);
  assert.equal(parseValue('[0.01,0.02]'), 0.01);
  assert.equal(parseValue('-3e2'), -300);
  assert.equal(parseValue(''), null);
  assert.equal(parseValue('NaN'), null);
  assert.equal(parseValue(undefined), null);
});

test('fmt keeps four significant digits', () => {
  assert.equal(fmt(0.1 + 0.2), '0.3');
  assert.equal(fmt(123456), '123500');
  assert.equal(fmt(0.012345), '0.01235');
});

test('age and span read like kubectl', () => {
  const now = Date.parse('2026-01-10T12:00:00Z');
  assert.equal(age('2026-01-10T11:59:15Z', now), '45s');
  assert.equal(age('2026-01-10T11:55:00Z', now), '5m');
  assert.equal(age('2026-01-10T07:00:00Z', now), '5h');
  assert.equal(age('2026-01-01T12:00:00Z', now), '9d');
  assert.equal(age('', now), '–');
  assert.equal(span(192000), '3m 12s');
  assert.equal(span(3600000 + 5000), '1h');
  assert.equal(span(0), '0s');
});

test('meaning explains a phase in plain words', () => {
  assert.match(meaning({ status: { phase: 'Paused', pauseConditions: [{ reason: 'CanaryPauseStep' }] } }), /Promote to go on/);
  assert.match(meaning({ spec: { paused: true }, status: { phase: 'Paused' } }), /resumed/);
  assert.match(meaning({ status: { phase: 'Degraded', abort: true, abortedBy: 'analysis run x failed' } }), /aborted \(analysis run x failed\)/);
});

test('routes round-trip through the hash', () => {
  assert.deepEqual(parseHash(rolloutHref('shop', 'web/1')), { kind: 'rollout', namespace: 'shop', name: 'web/1' });
  assert.deepEqual(parseHash(''), { kind: 'list', filters: { namespace: '', q: '', phase: '' } });
  const filters = { namespace: 'shop', q: 'a b', phase: 'Paused' };
  assert.deepEqual(parseHash(listHash(filters)), { kind: 'list', filters });
  assert.equal(listHash({ namespace: '', q: '', phase: '' }), '#/');
});

test('judge verdicts read like kubectl ramp get rollout', () => {
  assert.equal(verdictTone('Pass'), 'good');
  assert.equal(verdictTone('High'), 'bad');
  assert.equal(verdictTone('Low'), 'bad');
  assert.equal(verdictTone('NoData'), 'warn');
  assert.equal(verdictTone(undefined), 'unknown');
  assert.equal(shiftText({ estimate: '0.0071', interval: '[0.0052, 0.0093]' }), '0.0071 [0.0052, 0.0093]');
  assert.equal(shiftText({ interval: '[-0.1, 0.1]' }), '[-0.1, 0.1]');
  assert.equal(shiftText({ estimate: '', interval: '' }), '–');
  assert.equal(shiftText(undefined), '–');
  assert.equal(scoreText({ score: 60 }), 'score 60/100');
  assert.equal(scoreText({}), 'score 0/100');
});

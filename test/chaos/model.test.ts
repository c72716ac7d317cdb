/**
 * The chaos run's model (local/chaos/model.ts): the fate of a write from its answers and records, and the
 * expected item from the writes applied in order, with unknown outcomes tried both ways.
 */
import type { StoredItem } from '../../local/chaos/admin';
import { RequestRecord, Verdict, applyWrite, explainItem, verdictOf } from '../../local/chaos/model';
import type { Attempt, Item, Write } from '../../local/chaos/workload';

let seq = 0;
function attempt(over: Partial<Attempt>): Attempt {
  return { seq: ++seq, sentAt: 0, ms: 1, phase: 'test', cloudStart: 1, ...over };
}

function item(resource: 'orders' | 'customers', writes: [Write['method'], Record<string, unknown> | undefined, Attempt[]][]): Item {
  const it: Item = { ref: 'c0.i0', client: 0, resource, id: 'x1', writes: [] };
  writes.forEach(([method, body, attempts], index) => it.writes.push({ n: index + 1, item: it, index, method, body, marker: `m${index}`, attempts }));
  return it;
}

function stored(data: Record<string, unknown>): StoredItem {
  return { id: 'x1', version: data.version as number, data: { ...data, createdAt: 'a', updatedAt: 'b' } };
}

const verdicts = (it: Item, records = new Map<string, RequestRecord>()) => new Map<Write, Verdict>(it.writes.map((w) => [w, verdictOf(w, records)]));

describe('verdictOf', () => {
  const write = (attempts: Attempt[]): Write => item('orders', [['PATCH', { status: 'baking' }, attempts]]).writes[0];

  it('2xx is applied; a 202 takes the fate its record ended with', () => {
    expect(verdictOf(write([attempt({ status: 200, etag: '"2"' })]), new Map()).fate).toBe('applied');
    const records = new Map<string, RequestRecord>([
      ['/v1/requests/a', { status: 'applied', outcome: { statusCode: 200, headers: { ETag: '"2"' }, body: {} } }],
      ['/v1/requests/b', { status: 'rejected', outcome: { statusCode: 409 } }],
      ['/v1/requests/c', { status: 'queued' }],
    ]);
    expect(verdictOf(write([attempt({ status: 202, location: '/v1/requests/a' })]), records)).toMatchObject({ fate: 'applied', why: '202→applied' });
    expect(verdictOf(write([attempt({ status: 202, location: '/v1/requests/b' })]), records)).toMatchObject({ fate: 'rejected', why: '202→rejected 409' });
    expect(verdictOf(write([attempt({ status: 202, location: '/v1/requests/c' })]), records)).toMatchObject({ fate: 'unknown', why: '202→queued' });
  });

  it('"nothing was written" and refused are not applied; no answer or another 5xx is unknown; a later definitive answer wins', () => {
    const nothing = attempt({ status: 503, body: { detail: 'The request could not be stored nor queued; nothing was written. Retry later.' } });
    expect(verdictOf(write([nothing, attempt({ transport: 'refused' })]), new Map()).fate).toBe('not-applied');
    expect(verdictOf(write([attempt({ transport: 'unanswered' })]), new Map()).fate).toBe('unknown');
    expect(verdictOf(write([attempt({ status: 504 })]), new Map()).fate).toBe('unknown');
    expect(verdictOf(write([attempt({ transport: 'unanswered' }), attempt({ status: 409, retryAfter: '1' }), attempt({ status: 200 })]), new Map()).fate).toBe('applied');
    expect(verdictOf(write([attempt({ status: 404 })]), new Map()).fate).toBe('rejected');
  });

  it('a DELETE answered 404 is unknown: a hard delete answers 404 also when it removed the item itself earlier', () => {
    const del = item('orders', [['DELETE', undefined, [attempt({ transport: 'unanswered' }), attempt({ status: 404 })]]]).writes[0];
    expect(verdictOf(del, new Map())).toMatchObject({ fate: 'unknown', why: '404' });
  });
});

describe('applyWrite', () => {
  it('POST creates version 1, PUT replaces, PATCH merges top-level attributes with null removing one, DELETE removes', () => {
    const post = applyWrite(undefined, { method: 'POST', body: { customer: 'a', items: [1] } }, 'x1', 'orderId');
    expect(post).toEqual({ ok: true, state: { customer: 'a', items: [1], orderId: 'x1', version: 1 } });
    const patch = applyWrite({ ...post.state, status: 'placed' }, { method: 'PATCH', body: { status: null, customer: 'b' } }, 'x1', 'orderId');
    expect(patch.state).toEqual({ customer: 'b', items: [1], orderId: 'x1', version: 2 });
    expect(applyWrite(patch.state, { method: 'PUT', body: { customer: 'c', items: [2] } }, 'x1', 'orderId').state).toEqual({ customer: 'c', items: [2], orderId: 'x1', version: 3 });
    expect(applyWrite(patch.state, { method: 'DELETE', body: undefined }, 'x1', 'orderId')).toEqual({ ok: true, state: undefined });
    expect(applyWrite(undefined, { method: 'PATCH', body: {} }, 'x1', 'orderId').ok).toBe(false);
    expect(applyWrite(post.state, { method: 'POST', body: {} }, 'x1', 'orderId').ok).toBe(false);
  });
});

describe('explainItem', () => {
  it('finds the combination of unknown writes that gives the stored item, and checks the answers against it', () => {
    const it = item('orders', [
      ['POST', { customer: 'm0', items: [1] }, [attempt({ status: 201, etag: '"1"', body: { customer: 'm0', items: [1], orderId: 'x1', version: 1, createdAt: 't' } })]],
      ['PATCH', { customer: 'm1' }, [attempt({ transport: 'unanswered' })]],
      ['PATCH', { customer: 'm2' }, [attempt({ status: 200, etag: '"3"', body: { customer: 'm2', items: [1], orderId: 'x1', version: 3 } })]],
    ]);
    const e = explainItem(it, 'x1', verdicts(it), stored({ customer: 'm2', items: [1], orderId: 'x1', version: 3 }));
    expect(e).toMatchObject({ consistent: true, unknownApplied: 1, unknownNotApplied: 0, answerMismatches: [] });
  });

  it('names a write the API called rejected when only applying it explains the table', () => {
    const records = new Map<string, RequestRecord>([['/v1/requests/r', { status: 'rejected', outcome: { statusCode: 409 } }]]);
    const it = item('orders', [
      ['POST', { customer: 'm0', items: [1] }, [attempt({ status: 201 })]],
      ['PATCH', { status: 'baking' }, [attempt({ status: 202, location: '/v1/requests/r' })]],
      ['PATCH', { customer: 'm2' }, [attempt({ status: 200 })]],
    ]);
    const e = explainItem(it, 'x1', verdicts(it, records), stored({ customer: 'm2', items: [1], status: 'baking', orderId: 'x1', version: 3 }));
    expect(e.consistent).toBe(false);
    expect(e.onceInOrder).toBe(true);
    expect(e.explainedBy).toEqual([expect.stringContaining('PATCH m1 applied although 202→rejected 409')]);
  });

  it('tells a write applied twice (a deleted item back) from every order of single applications', () => {
    const it = item('orders', [
      ['POST', { customer: 'm0', items: [1] }, [attempt({ status: 201 })]],
      ['DELETE', undefined, [attempt({ status: 204 })]],
    ]);
    const e = explainItem(it, 'x1', verdicts(it), stored({ customer: 'm0', items: [1], orderId: 'x1', version: 1 }));
    expect(e).toMatchObject({ consistent: false, onceInOrder: false });
  });
});

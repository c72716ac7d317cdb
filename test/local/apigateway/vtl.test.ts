import {
  MappingRequest,
  MappingTemplateError,
  formatRequestTime,
  renderMappingTemplate,
} from '../../../local/apigateway/vtl';

/** A method request as API Gateway hands it to the integration request template. */
const request = (overrides: Partial<MappingRequest> = {}): MappingRequest => ({
  body: '',
  pathParameters: { id: 'item-1' },
  queryStringParameters: { limit: '10' },
  multiValueQueryStringParameters: { limit: ['10'] },
  headers: { Accept: 'application/json', 'Content-Type': 'application/json', 'User-Agent': 'curl/8.5.0' },
  multiValueHeaders: { Accept: ['application/json'], 'Content-Type': ['application/json'], 'User-Agent': ['curl/8.5.0'] },
  stageVariables: { table: 'items-prod' },
  context: {
    requestId: 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef',
    extendedRequestId: 'UPCZdES-IAMErsQ=',
    httpMethod: 'GET',
    resourcePath: '/items/{id}',
    resourceId: 'abc123',
    stage: 'prod',
    path: '/prod/items/item-1',
    protocol: 'HTTP/1.1',
    requestTime: '09/Apr/2015:12:34:56 +0000',
    requestTimeEpoch: 1428582896000,
    accountId: '123456789012',
    apiId: 'a1b2c3d4e5',
    domainName: 'a1b2c3d4e5.execute-api.us-east-1.amazonaws.com',
    domainPrefix: 'a1b2c3d4e5',
    identity: { sourceIp: '203.0.113.7', userAgent: 'curl/8.5.0', apiKey: null },
    authorizer: { principalId: 'user-42', numKey: 1, boolKey: true, claims: { sub: 'abc-123', email: 'a@example.com' } },
  },
  ...overrides,
});

const render = (template: string, overrides: Partial<MappingRequest> = {}) => renderMappingTemplate(template, request(overrides)).body;

describe('$input', () => {
  test('an empty body is {} for $input.json, $input.body and $input.path (PITFALL 8)', () => {
    expect(render(`$input.json('$')`)).toBe('{}');
    expect(render(`$input.body`)).toBe('{}');
    expect(render(`$input.path('$').size()`)).toBe('0');
    expect(render(`{"body": $input.json('$')}`, { body: undefined })).toBe('{"body": {}}');
  });

  test('$input.json re-serializes compactly, the way json-smart writes JSON', () => {
    const body = '{ "name" : "Ann", "price": 10.0, "count": 3, "big": 12345678901234567890, "ok": true, "none": null, "url": "a/b" }';
    expect(render(`$input.json('$')`, { body })).toBe(
      '{"name":"Ann","price":10.0,"count":3,"big":12345678901234567890,"ok":true,"none":null,"url":"a\\/b"}',
    );
    expect(render(`$input.json('$.name')`, { body })).toBe('"Ann"');
    expect(render(`$input.json('$.price')`, { body })).toBe('10.0');
    expect(render(`$input.json('name')`, { body })).toBe('"Ann"');
  });

  test('$input.path returns objects: strings print bare, maps as {k=v}, JSON arrays as JSON', () => {
    const body = '{"id":"42","pets":[{"id":1,"type":"dog","price":249.99}],"owner":{"name":"Ann","tags":["a","b"]}}';
    expect(render(`$input.path('$.id')`, { body })).toBe('42');
    expect(render(`$input.path('$.owner')`, { body })).toBe('{name=Ann, tags=["a","b"]}');
    expect(render(`$input.path('$.pets')`, { body })).toBe('[{"id":1,"type":"dog","price":249.99}]');
    expect(render(`$input.path('$.pets').size() $input.path('$.pets')[0].type $input.path('$.owner').name`, { body })).toBe(
      '1 dog Ann',
    );
    expect(render(`#foreach($t in $input.path('$.owner.tags'))$t;#end`, { body })).toBe('a;b;');
  });

  test('AWS doc example: .size() of a map and escapeJavaScript of a JSONPath', () => {
    const body = '{"things":{"1":{},"2":{},"3":{}}}';
    const template = `{
    "id" : "$input.params('id')",
    "count" : "$input.path('$.things').size()",
    "things" : $util.escapeJavaScript($input.json('$.things'))
}`;
    expect(render(template, { body, pathParameters: { id: 'abc' } })).toBe(`{
    "id" : "abc",
    "count" : "3",
    "things" : {\\"1\\":{},\\"2\\":{},\\"3\\":{}}
}`);
  });

  test('integer-like keys keep their JSON order (LinkedHashMap)', () => {
    expect(render(`$input.path('$')`, { body: '{"b":1,"2":2,"a":3,"1":4}' })).toBe('{b=1, 2=2, a=3, 1=4}');
  });

  test('a missing JSONPath is null: empty for path, null for json; indefinite paths give JSON arrays', () => {
    const body = '{"a":[{"b":"x"},{"b":2},{"c":3}]}';
    expect(render(`[$input.path('$.missing')]`, { body })).toBe('[]');
    expect(render(`$input.json('$.missing')`, { body })).toBe('null');
    expect(render(`$input.json('$.a[*].b')`, { body })).toBe('["x",2]');
    expect(render(`$input.json('$..c')`, { body })).toBe('[3]');
    expect(render(`$input.json('$.a[?(@.b == 2)]')`, { body })).toBe('[{"b":2}]');
  });

  test('a body that is not JSON: plain text is a string, a broken object is a payload error', () => {
    expect(render(`$input.json('$')`, { body: 'a=b' })).toBe('"a=b"');
    expect(render(`$input.body`, { body: '{a' })).toBe('{a');
    expect(() => render(`$input.json('$')`, { body: '{a' })).toThrow(MappingTemplateError);
    try {
      render(`$input.path('$')`, { body: '[1,' });
    } catch (e) {
      expect((e as MappingTemplateError).kind).toBe('payload');
    }
  });

  test('$input.params(name) looks in path, then querystring, then header; absent is ""', () => {
    const r = {
      pathParameters: { id: 'from-path' },
      queryStringParameters: { id: 'from-query', q: 'search' },
      headers: { id: 'from-header', 'X-Trace': 't-1' },
    };
    expect(render(`$input.params('id')|$input.params('q')|$input.params('X-Trace')|$input.params('x-trace')|$input.params('nope')|`, r)).toBe(
      'from-path|search|t-1|t-1||',
    );
  });

  test('$input.params() is a map of path, querystring and header', () => {
    const template = `#set($all = $input.params())
#foreach($type in $all.keySet())$type:#foreach($name in $all.get($type).keySet())$name=$all.get($type).get($name)#if($foreach.hasNext),#end#end
#end`;
    // a directive followed by a newline eats that newline (Velocity 1.x), hence one line
    expect(render(template, { headers: { Accept: '*/*' } })).toBe('path:id=item-1querystring:limit=10header:Accept=*/*');
    expect(render(`$input.params()`, { headers: { Accept: '*/*' } })).toBe('{path={id=item-1}, querystring={limit=10}, header={Accept=*/*}}');
  });

  test('single values come from the last of a multi-value parameter when no single map is given', () => {
    expect(
      render(`$input.params('tag') $input.params('x-forwarded-for')`, {
        queryStringParameters: undefined,
        multiValueQueryStringParameters: { tag: ['a', 'b'] },
        headers: undefined,
        multiValueHeaders: { 'X-Forwarded-For': ['1.1.1.1', '2.2.2.2'] },
      }),
    ).toBe('b 2.2.2.2');
  });
});

describe('$context and $stageVariables', () => {
  test('the request context variables', () => {
    const template =
      '$context.requestId $context.extendedRequestId $context.httpMethod $context.resourcePath $context.resourceId ' +
      '$context.stage $context.path $context.protocol $context.requestTime $context.requestTimeEpoch $context.accountId ' +
      '$context.apiId $context.domainName $context.domainPrefix $context.identity.sourceIp $context.identity.userAgent';
    expect(render(template)).toBe(
      'c6af9ac6-7b61-11e6-9a41-93e8deadbeef UPCZdES-IAMErsQ= GET /items/{id} abc123 prod /prod/items/item-1 HTTP/1.1 ' +
        '09/Apr/2015:12:34:56 +0000 1428582896000 123456789012 a1b2c3d4e5 a1b2c3d4e5.execute-api.us-east-1.amazonaws.com ' +
        'a1b2c3d4e5 203.0.113.7 curl/8.5.0',
    );
  });

  test('authorizer values are strings, as AWS stringifies the Lambda authorizer context', () => {
    expect(render('$context.authorizer.principalId $context.authorizer.numKey $context.authorizer.boolKey $context.authorizer.claims.sub')).toBe(
      'user-42 1 true abc-123',
    );
    expect(render('#if($context.authorizer.numKey == "1")string#end')).toBe('string');
  });

  test('null and unset context variables render as empty strings', () => {
    expect(render('[$context.identity.apiKey][$context.identity.caller][$context.wafResponseCode]')).toBe('[][][]');
  });

  test('$stageVariables by property and by index', () => {
    expect(render(`$stageVariables.table $stageVariables['table'] \${stageVariables.table}`)).toBe('items-prod items-prod items-prod');
  });

  test('formatRequestTime writes CLF time in UTC', () => {
    expect(formatRequestTime(new Date(Date.UTC(2015, 3, 9, 12, 34, 56)))).toBe('09/Apr/2015:12:34:56 +0000');
  });
});

describe('undefined references', () => {
  test('render as empty strings, as on API Gateway', () => {
    expect(render('[$nope][$!nope][${nope}][$nope.deeper.still][$context.nope][$input.path("$.x").y]')).toBe('[][][][][][]');
  });

  test('render literally with nullReferences: literal (plain Velocity 1.7)', () => {
    const out = renderMappingTemplate('[$nope][$!nope][${nope}][$context.nope]', request(), { nullReferences: 'literal' }).body;
    expect(out).toBe('[$nope][][${nope}][$context.nope]');
  });
});

describe('$context.responseOverride and $context.requestOverride', () => {
  test('status and headers set with #set are returned', () => {
    const result = renderMappingTemplate(
      `#set($context.responseOverride.status = 201)
#set($context.responseOverride.header.Location = "/items/$input.params('id')")
#set($context.responseOverride.header.Content-Type = "application/problem+json")
#set($name = "X-Request-Id")
#set($context.responseOverride.header[$name] = $context.requestId)
ok`,
      request(),
    );
    expect(result.body).toBe('ok');
    expect(result.responseOverride).toEqual({
      status: 201,
      headers: {
        Location: '/items/item-1',
        'Content-Type': 'application/problem+json',
        'X-Request-Id': 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef',
      },
    });
  });

  test('a status given as a string works too', () => {
    expect(renderMappingTemplate('#set($context.responseOverride.status = "404")', request()).responseOverride.status).toBe(404);
  });

  test('a typo ($context.reponseOverride) is a silent no-op (PITFALL 9)', () => {
    const result = renderMappingTemplate(
      `#set($context.reponseOverride.status = 500)
#set($context.responseOverride.headers.X = "y")
body`,
      request(),
    );
    expect(result.body).toBe('body');
    expect(result.responseOverride).toEqual({ headers: {} });
  });

  test('requestOverride path, querystring and header', () => {
    const result = renderMappingTemplate(
      `#set($context.requestOverride.header.X-Api-Version = "2")
#set($context.requestOverride.header.multi = ["a", "b"])
#set($context.requestOverride.querystring.q = "x")
#set($context.requestOverride.path.id = "7")`,
      request(),
    );
    expect(result.requestOverride).toEqual({
      header: { 'X-Api-Version': '2', multi: ['a', 'b'] },
      querystring: { q: 'x' },
      path: { id: '7' },
    });
  });
});

describe('$util', () => {
  test('escapeJavaScript follows Commons Lang StringEscapeUtils.escapeJavaScript', () => {
    const template = '$util.escapeJavaScript($input.path("$.s"))';
    const cases: Array<[string, string]> = [
      [`it's`, `it\\'s`],
      [`say "hi"`, `say \\"hi\\"`],
      ['back\\slash', 'back\\\\slash'],
      ['a/b', 'a\\/b'],
      ['tab\tnew\nline\rcr\bbs\fff', 'tab\\tnew\\nline\\rcr\\bbs\\fff'],
      ['\u0001\u001f', '\\u0001\\u001F'],
      ['\u007f', '\u007f'],
      ['é ü', '\\u00E9 \\u00FC'],
      ['€ 中', '\\u20AC \\u4E2D'],
      ['😀', '\\uD83D\\uDE00'],
    ];
    for (const [input, expected] of cases) {
      expect(render(template, { body: JSON.stringify({ s: input }) })).toBe(expected);
    }
  });

  test('escapeJavaScript(...).replaceAll("\\\\\'","\'") turns \\\' back into \' (the AWS-documented idiom)', () => {
    const template = `"$util.escapeJavaScript($input.path('$.s')).replaceAll("\\\\'","'")"`;
    const out = render(template, { body: JSON.stringify({ s: `O'Brien's "quote" \\ /` }) });
    expect(out).toBe(`"O'Brien's \\"quote\\" \\\\ \\/"`);
    expect(JSON.parse(out)).toBe(`O'Brien's "quote" \\ /`);
  });

  test('escapeJavaScript of null is null (renders empty)', () => {
    expect(render(`[$util.escapeJavaScript($input.params().header.get('missing'))]`)).toBe('[]');
  });

  test('parseJson returns maps and lists; re-emitting a parsed object prints {a=b} (PITFALL 2)', () => {
    const body = JSON.stringify({ errorMessage: JSON.stringify({ key1: 'var1', key2: { arr: [1, 2, 3] } }) });
    const template = `#set ($errorMessageObj = $util.parseJson($input.path('$.errorMessage')))
{
   "errorMessageObjKey2ArrVal" : $errorMessageObj.key2.arr[0],
   "reEmitted" : "$errorMessageObj"
}`;
    expect(render(template, { body })).toBe(`{
   "errorMessageObjKey2ArrVal" : 1,
   "reEmitted" : "{key1=var1, key2={arr=[1,2,3]}}"
}`);
  });

  test('urlEncode / urlDecode use java.net.URLEncoder / URLDecoder rules', () => {
    expect(render(`$util.urlEncode("a b&c=d/é~*._-")`)).toBe('a+b%26c%3Dd%2F%C3%A9%7E*._-');
    expect(render(`$util.urlDecode("a+b%26c%3Dd%2F%C3%A9")`)).toBe('a b&c=d/é');
    expect(() => render(`$util.urlDecode("%zz")`)).toThrow(MappingTemplateError);
  });

  test('base64Encode / base64Decode (UTF-8)', () => {
    expect(render(`$util.base64Encode("héllo")`)).toBe('aMOpbGxv');
    expect(render(`$util.base64Decode("aMOpbGxv")`)).toBe('héllo');
    expect(render(`$util.base64Decode("aMOpbGxv")`)).toBe('héllo');
    expect(() => render(`$util.base64Decode("not base64!")`)).toThrow(MappingTemplateError);
  });
});

describe('errors', () => {
  test('a template that does not parse is a syntax error', () => {
    try {
      render('#if($a');
      throw new Error('expected a failure');
    } catch (e) {
      expect(e).toBeInstanceOf(MappingTemplateError);
      expect((e as MappingTemplateError).kind).toBe('syntax');
    }
  });

  test('a Java exception in a method (substring out of range) fails the render', () => {
    try {
      render('#set($s = "abc")$s.substring(5)');
      throw new Error('expected a failure');
    } catch (e) {
      expect((e as MappingTemplateError).kind).toBe('runtime');
      expect((e as Error).message).toContain('StringIndexOutOfBoundsException');
    }
  });
});

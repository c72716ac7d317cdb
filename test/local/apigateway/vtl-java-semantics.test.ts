import { renderMappingTemplate } from '../../../local/apigateway/vtl';
import { javaMatches, javaReplaceAll, javaSplit, translateJavaRegex, JavaRegexError } from '../../../local/apigateway/vtl/java-regex';
import { javaDoubleToString } from '../../../local/apigateway/vtl/java-values';

const render = (template: string, body = '') => renderMappingTemplate(template, { body }).body;

describe('Velocity 1.7 expressions', () => {
  test('#if: only null and false are false ("" and 0 are true)', () => {
    expect(render('#if("")a#end#if(0)b#end#if($nope)c#end#if(false)d#end#if([])e#end#if(!$nope)f#end')).toBe('abef');
    expect(render('#set($e = $input.params("missing"))#if($e)empty-string-is-true#end#if($e != "")x#{else}blank#end')).toBe(
      'empty-string-is-truexblank'.replace('x', ''),
    );
  });

  test('#if / #elseif / #else', () => {
    const t = '#foreach($n in [1, 2, 3])#if($n == 1)one#elseif($n == 2)two#{else}other#end;#end';
    expect(render(t)).toBe('one;two;other;');
  });

  test('integer arithmetic: division truncates, by zero is null, doubles stay doubles', () => {
    expect(render('#set($a = 7 / 2)$a|#set($b = -7 / 2)$b|#set($c = 7 % 3)$c|#set($d = 7.0 / 2)$d|#set($e = 2 * 3 + 1)$e')).toBe('3|-3|1|3.5|7');
    expect(render('#set($x = "kept")#set($x = 1 / 0)$x')).toBe('kept');
    expect(render('#set($n = $input.path("$.n"))#set($m = $n + 1)$m', '{"n":41}')).toBe('42');
    expect(render('#set($p = $input.path("$.p"))#set($q = $p * 2)$q', '{"p":1.25}')).toBe('2.5');
  });

  test('+ with a string concatenates; a null side is its literal text', () => {
    expect(render('#set($s = "a" + 1)$s|#set($t = 1 + "b")$t|#set($u = "x" + $nope)$u')).toBe('a1|1b|x$nope');
  });

  test('== compares numbers by value, same classes by equals, others as strings; null equals only null', () => {
    const t = '#if(1 == 1.0)a#end#if("1" == 1)b#end#if($nope == $alsoNope)c#end#if($nope == "")d#end#if("x" != "y")e#end#if(true == "true")f#end';
    expect(render(t)).toBe('abcef');
    expect(render('#if($input.path("$") == $input.path("$"))same#end', '{"a":[1]}')).toBe('same');
  });

  test('< and > only compare numbers', () => {
    expect(render('#if(2 > 1)a#end#if(1 < 2.5)b#end#if("b" > "a")c#end#if($nope < 1)d#end')).toBe('ab');
  });

  test('&& and || give booleans', () => {
    expect(render('#set($x = "a" || "b")$x|#set($y = $nope && true)$y')).toBe('true|false');
  });

  test('#set with a null right-hand side leaves the variable unchanged', () => {
    expect(render('#set($v = "before")#set($v = $input.path("$.missing"))$v', '{}')).toBe('before');
  });

  test('doubles print as java.lang.Double does', () => {
    expect(render('$input.path("$.a") $input.path("$.b") $input.path("$.c") $input.path("$.d") $input.path("$.e")', '{"a":1.0,"b":1e7,"c":0.0001,"d":-2.5E-3,"e":123456.789}')).toBe(
      '1.0 1.0E7 1.0E-4 -0.0025 123456.789',
    );
    expect(javaDoubleToString(0)).toBe('0.0');
    expect(javaDoubleToString(1e21)).toBe('1.0E21');
    expect(javaDoubleToString(NaN)).toBe('NaN');
  });
});

describe('#foreach', () => {
  test('$foreach.hasNext, $foreach.index, $foreach.count, $velocityCount', () => {
    expect(render('#foreach($x in ["a", "b", "c"])$foreach.index/$foreach.count/$velocityCount:$x#if($foreach.hasNext),#end#end')).toBe(
      '0/1/1:a,1/2/2:b,2/3/3:c',
    );
    expect(render('#foreach($x in [1, 2])#if($foreach.first)F#end#if($foreach.last)L#end#end')).toBe('FL');
  });

  test('iterates a map by its values, and the loop variable is gone afterwards', () => {
    expect(render('#foreach($v in $input.path("$"))$v;#end[$v]', '{"a":1,"b":"two"}')).toBe('1;two;[]');
  });

  test('#break stops the loop at once', () => {
    expect(render('#foreach($i in [1..5])$i#if($i == 2)#break#end-#end|after')).toBe('1-2|after');
  });

  test('nested loops and ranges', () => {
    expect(render('#foreach($i in [1..2])#foreach($j in [3..2])$i$j #end#end')).toBe('13 12 23 22 ');
    expect(render('#set($n = 2)#foreach($i in [0..$n])$i#end')).toBe('012');
  });
});

describe('directives and whitespace', () => {
  test('#set eats the blanks before it and the newline after it; other directives eat the newline', () => {
    expect(render('{\n    #set($x = 1)\n    "a": $x\n}')).toBe('{\n    "a": 1\n}');
    expect(render('#if(true)\nyes\n#end\nafter')).toBe('yes\nafter');
    expect(render('## a comment line\nline')).toBe('line');
  });

  test('#define and #macro', () => {
    expect(render('#define($greeting)Hello $name#end#set($name = "Ann")$greeting')).toBe('Hello Ann');
    expect(render('#macro(pair $k $v)"$k":"$v"#end{#pair("a" "1"),#pair("b" $input.path("$.b"))}', '{"b":"2"}')).toBe(
      '{"a":"1","b":"2"}',
    );
  });

  test('#stop ends rendering', () => {
    expect(render('before#stop after')).toBe('before');
  });

  test('a backslash before a $ that starts no reference is kept', () => {
    expect(render('a\\$ b "\\$"')).toBe('a\\$ b "\\$"');
  });

  test('hyphens are part of Velocity 1.x identifiers', () => {
    expect(render('$input.path("$").Content-Type', '{"Content-Type":"text/plain"}')).toBe('text/plain');
  });
});

describe('java.lang.String methods', () => {
  const s = (template: string, value: string) => render(template, JSON.stringify({ s: value }));
  test('length, isEmpty, contains, equals, startsWith, endsWith, indexOf, charAt', () => {
    expect(s('#set($s = $input.path("$.s"))$s.length() $s.isEmpty() $s.contains("ell") $s.equals("Hello") $s.equalsIgnoreCase("HELLO") $s.startsWith("He") $s.startsWith("l", 2) $s.endsWith("lo") $s.indexOf("l") $s.lastIndexOf("l") $s.indexOf("l", 3) $s.charAt(1)', 'Hello')).toBe(
      '5 false true true true true true true 2 3 3 e',
    );
  });

  test('substring, toLowerCase, toUpperCase, trim, concat, replace, compareTo', () => {
    expect(s('#set($s = $input.path("$.s"))[$s.trim()] $s.trim().substring(1) $s.trim().substring(1, 3) $s.toUpperCase().trim() $s.trim().toLowerCase() $s.trim().concat("!") $s.replace("l", "L") $s.trim().compareTo("Hello")', ' \tHello\n')).toBe(
      '[Hello] ello el HELLO hello Hello!  \tHeLLo\n 0',
    );
  });

  test('trim() strips only chars <= U+0020, unlike JS trim()', () => {
    expect(s('[$input.path("$.s").trim()]', '\u00a0x\u0001')).toBe('[\u00a0x]');
  });

  test('replaceAll/replaceFirst use Java regex and replacement syntax', () => {
    expect(s('$input.path("$.s").replaceAll("(\\w+)@(\\w+)", "$2 at $1")', 'ann@example')).toBe('example at ann');
    expect(s('$input.path("$.s").replaceAll("\\.", "\\$")', 'a.b.c')).toBe('a$b$c');
    expect(s('$input.path("$.s").replaceFirst("[0-9]+", "#")', 'a12b34')).toBe('a#b34');
    expect(s('$input.path("$.s").replaceAll("\\s+", " ")', 'a \t\n b')).toBe('a b');
  });

  test('split follows Java (trailing empties dropped, limit) and yields an array usable as a list', () => {
    expect(s('#set($p = $input.path("$.s").split(","))$p.size() [$p.get(2)] $p[3]#foreach($x in $p)<$x>#end', 'a,b,,c,,')).toBe(
      '4 [] c<a><b><><c>',
    );
    expect(s('#set($p = $input.path("$.s").split(",", 2))$p.size() $p[1]', 'a,b,c')).toBe('2 b,c');
    expect(s('#set($p = $input.path("$.s").split("\\|"))$p.size()', 'x|y')).toBe('2');
  });

  test('matches() is a whole-string match', () => {
    expect(s('#set($v = $input.path("$.s"))$v.matches("[0-9]+") $v.matches("[0-9]")', '123')).toBe('true false');
  });

  test('a method called with arguments of the wrong type finds no method (null)', () => {
    expect(s('[$input.path("$.s").substring("1")]', 'abc')).toBe('[]');
  });
});

describe('java.util.Map and List methods', () => {
  test('Map: get, containsKey, keySet, values, entrySet, size, isEmpty, put, remove', () => {
    const t = `#set($m = $input.path("$"))$m.get("a") $m.containsKey("a") $m.containsKey("z") $m.keySet() $m.values() $m.entrySet() $m.size() $m.isEmpty()
#set($prev = $m.put("c", 3))$m|#set($gone = $m.remove("a"))$gone $m
#foreach($e in $m.entrySet())$e.key=$e.value;#end`;
    expect(render(t, '{"a":1,"b":"x"}')).toBe('1 true false [a, b] [1, x] [a=1, b=x] 2 false\n{a=1, b=x, c=3}|1 {b=x, c=3}\nb=x;c=3;');
  });

  test('#set on a map property puts', () => {
    expect(render('#set($m = {})#set($m.a = "1")#set($m["b"] = 2)$m')).toBe('{a=1, b=2}');
  });

  test('List: size, get, isEmpty, contains, add (prints true), indexOf; literals print as ArrayList', () => {
    const t = '#set($l = ["a", "b"])$l.size() $l.get(1) $l.isEmpty() $l.contains("b") $l.add("c") $l.indexOf("c") $l $l[-1]';
    expect(render(t)).toBe('2 b false true true 2 [a, b, c] c');
  });

  test('list.get out of range is a Java exception', () => {
    expect(() => render('#set($l = [1])$l.get(3)')).toThrow(/IndexOutOfBoundsException/);
  });
});

describe('Java regex translation', () => {
  test('Java-only constructs are translated', () => {
    expect(javaMatches("it\\'s", "it\\\\'s")).toBe(true); // pattern it\\'s: a backslash then a quote
    expect(javaReplaceAll("a\\'b", "\\\\'", "'")).toBe("a'b");
    expect(javaMatches('a+b', '\\Qa+b\\E')).toBe(true);
    expect(javaMatches('Hello', '\\p{Upper}\\p{Lower}+')).toBe(true);
    expect(javaMatches('ABC', '(?i)abc')).toBe(true);
    expect(javaMatches('abc\n', 'abc$')).toBe(false);
    expect(javaReplaceAll('abc\n', 'c$', 'X')).toBe('abX\n');
    expect(javaMatches('a\u0085', 'a.')).toBe(false);
    expect(javaMatches('\u00a0', '\\s')).toBe(false);
  });

  test('split edge cases match Java 8+', () => {
    expect(javaSplit('abc', '')).toEqual(['a', 'b', 'c']);
    expect(javaSplit(',a,b', ',')).toEqual(['', 'a', 'b']);
    expect(javaSplit('a,b,,', ',', -1)).toEqual(['a', 'b', '', '']);
    expect(javaSplit('', ',')).toEqual(['']);
  });

  test('constructs JS cannot express are refused, not approximated', () => {
    expect(() => translateJavaRegex('a*+')).toThrow(JavaRegexError);
    expect(() => translateJavaRegex('(?>a)')).toThrow(JavaRegexError);
    expect(() => translateJavaRegex('[a-z&&[^e]]')).toThrow(JavaRegexError);
    expect(() => javaReplaceAll('a', 'a', '$2')).toThrow(/No group 2/);
  });
});

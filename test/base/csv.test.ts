// The one CSV writer (main/base/csv.ts): text cells a spreadsheet would run are neutralised and read back
// as written; numbers, negative ones included, stay numbers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { csvField, csvRecord, csvText, parseCsv } from '../../main/base/csv.ts';

test('text starting with =, +, -, @, a tab or a carriage return is put behind a single quote', () => {
  assert.deepEqual(['=1+1', '+1', '-1', '@A1', '\tx', '\rx'].map(csvField), ["'=1+1", "'+1", "'-1", "'@A1", "'\tx", `"'\rx"`]);
  assert.deepEqual(['a=b', 'x-1', '1', ''].map(csvField), ['a=b', 'x-1', '1', ''], 'only the first character counts');
});

test('numbers are written as numbers, negative ones without the quote; null is an empty field', () => {
  assert.equal(csvRecord([-0.25, 3, -1e-7, null, '-0.25']), "-0.25,3,-1e-7,,'-0.25");
});

test('what is written is read back as it was, single quotes in front of a formula included', () => {
  const values = ['=SUM(A1:A2)', "'=already quoted", "''+two quotes", "'plain", '-3', 'a,"b"', 'line\nbreak', '\r'];
  const [record] = parseCsv(csvText([values]));
  assert.deepEqual(record.fields, values);
});

test('csvText ends every record with a line feed', () => {
  assert.equal(
    csvText([
      ['id', 'path'],
      [1, 'a.jpg'],
      [2, '+b.jpg'],
    ]),
    "id,path\n1,a.jpg\n2,'+b.jpg\n",
  );
  assert.equal(csvText([]), '');
});

/**
 * A restricted pickle virtual machine. It understands the opcodes of protocols 0–5 that describe plain data
 * (ints, floats, strings, bytes, tuples, lists, dicts, sets) and resolves globals only through an allow-list.
 * Calling (REDUCE), instantiating (NEWOBJ) and BUILD are delegated to caller hooks, so nothing is ever
 * constructed that the caller did not explicitly model. Stack, memo, mark depth and container nesting are bounded.
 */

export class PyTuple {
  constructor(readonly items: PyValue[]) {}
}
export class PyList {
  constructor(readonly items: PyValue[]) {}
}
export type DictKey = string | number | bigint | boolean | null;
export class PyDict {
  readonly map = new Map<DictKey, PyValue>();
  constructor(readonly ordered = false) {}
}
/** A global from the allow-list (`module.name`); never a live callable. */
export class PyGlobal {
  constructor(
    readonly module: string,
    readonly name: string,
  ) {}
  get qualified(): string {
    return `${this.module}.${this.name}`;
  }
}
/** An instance created by NEWOBJ on an allowed class; BUILD fills `state`. */
export class PyObject {
  state: PyValue = null;
  constructor(readonly cls: PyGlobal) {}
}
/** A value produced by a caller hook (a storage or tensor description). */
export class PyOpaque<T = unknown> {
  constructor(readonly value: T) {}
}

export type PyValue =
  null | boolean | number | bigint | string | Uint8Array | PyTuple | PyList | PyDict | PyGlobal | PyObject | PyOpaque;

/** Thrown for malformed pickles; `truncated` means the stream ended before STOP. */
export class PickleError extends Error {
  constructor(
    message: string,
    readonly kind: 'corrupt' | 'truncated' | 'forbidden-global' | 'unsupported' = 'corrupt',
    readonly global?: string,
  ) {
    super(message);
    this.name = 'PickleError';
  }
}

export interface UnpicklerOptions {
  /** `module.name` strings that GLOBAL / STACK_GLOBAL may reference. */
  allowedGlobals: ReadonlySet<string>;
  persistentLoad?: (pid: PyValue) => PyValue;
  /** REDUCE: `callable(*args)`. Throw PickleError to refuse. */
  reduce?: (callable: PyValue, args: PyTuple) => PyValue;
  /** NEWOBJ: `cls.__new__(cls, *args)`. Defaults to refusing. */
  newObject?: (cls: PyValue, args: PyTuple) => PyValue;
  maxStack?: number;
  maxMemo?: number;
  maxMarks?: number;
  /** Deepest nesting of tuples/lists/dicts (torch pickles nest about 5 deep); deeper is refused, not recursed. */
  maxDepth?: number;
}

type StackItem = PyValue;

const MAX_LINE = 4096;
const MAX_LONG_BYTES = 64;
const textDecoder = new TextDecoder('utf-8', { fatal: true });
const latin1 = new TextDecoder('latin1');

function printable(op: number): string {
  return op >= 0x20 && op < 0x7f ? `'${String.fromCharCode(op)}'` : `0x${op.toString(16).padStart(2, '0')}`;
}

function isDictKey(v: PyValue): v is DictKey {
  return (
    v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean'
  );
}

/** Decodes a little-endian two's-complement integer of any length. */
function decodeLong(bytes: Uint8Array): number | bigint {
  if (bytes.length === 0) return 0;
  let v = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]);
  if (bytes[bytes.length - 1] & 0x80) v -= 1n << BigInt(8 * bytes.length);
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

export class Unpickler {
  private pos: number;
  private readonly view: DataView;
  private stack: StackItem[] = [];
  private readonly marks: number[] = [];
  private readonly memo = new Map<number, PyValue>();
  private readonly maxStack: number;
  private readonly maxMemo: number;
  private readonly maxMarks: number;

  constructor(
    private readonly bytes: Uint8Array,
    start: number,
    private readonly opts: UnpicklerOptions,
  ) {
    this.pos = start;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.maxStack = opts.maxStack ?? 100_000;
    this.maxMemo = opts.maxMemo ?? 100_000;
    this.maxMarks = opts.maxMarks ?? 1_000;
    this.maxDepth = opts.maxDepth ?? 200;
  }

  private readonly maxDepth: number;
  private readonly depths = new WeakMap<object, number>();

  /** Records (and bounds) the nesting depth of `container` once `children` are inside it. */
  private nest<T extends PyTuple | PyList | PyDict>(container: T, children: Iterable<PyValue>): T {
    let depth = this.depths.get(container) ?? 1;
    for (const child of children) {
      const d = child !== null && typeof child === 'object' ? (this.depths.get(child) ?? 0) : 0;
      if (d + 1 > depth) depth = d + 1;
    }
    if (depth > this.maxDepth) throw new PickleError(`containers nest more than ${this.maxDepth} levels deep`);
    this.depths.set(container, depth);
    return container;
  }

  /** Offset just past the STOP of the last loaded pickle. */
  get offset(): number {
    return this.pos;
  }

  /** Runs one pickle from the current offset to its STOP and returns its value. */
  load(): PyValue {
    this.stack = [];
    this.marks.length = 0;
    this.memo.clear();
    for (;;) {
      const at = this.pos;
      const op = this.u8();
      switch (op) {
        case 0x80: // PROTO
          if (this.u8() > 5) throw new PickleError(`unsupported pickle protocol at offset ${at}`, 'unsupported');
          break;
        case 0x95: // FRAME: frames are only a buffering hint
          this.take(8);
          break;
        case 0x2e: // STOP
          if (this.stack.length !== 1 || this.marks.length)
            throw new PickleError(`STOP at offset ${at} with an unbalanced stack`);
          return this.popValue();
        case 0x28: // MARK
          if (this.marks.length >= this.maxMarks) throw new PickleError(`more than ${this.maxMarks} nested MARKs`);
          this.marks.push(this.stack.length);
          break;
        case 0x30: // POP
          if (this.marks.length && this.marks[this.marks.length - 1] === this.stack.length) this.popMark();
          else this.popAny();
          break;
        case 0x31: // POP_MARK
          this.popMark();
          break;
        case 0x32: // DUP
          this.push(this.peek());
          break;
        case 0x4e: // NONE
          this.push(null);
          break;
        case 0x88: // NEWTRUE
          this.push(true);
          break;
        case 0x89: // NEWFALSE
          this.push(false);
          break;
        case 0x4b: // BININT1
          this.push(this.u8());
          break;
        case 0x4d: // BININT2
          this.push(this.view.getUint16(this.skip(2), true));
          break;
        case 0x4a: // BININT
          this.push(this.view.getInt32(this.skip(4), true));
          break;
        case 0x8a: // LONG1
          this.push(this.long(this.u8()));
          break;
        case 0x8b: // LONG4
          this.push(this.long(this.view.getInt32(this.skip(4), true)));
          break;
        case 0x49: {
          // INT (text); "00"/"01" are protocol-0 booleans
          const line = this.line();
          if (line === '00' || line === '01') this.push(line === '01');
          else this.push(this.parseIntText(line, at));
          break;
        }
        case 0x4c: // LONG (text)
          this.push(this.parseIntText(this.line().replace(/L$/, ''), at));
          break;
        case 0x46: {
          // FLOAT (text)
          const line = this.line();
          const v = Number(line);
          if (Number.isNaN(v) && !/^[-+]?nan$/i.test(line)) throw new PickleError(`bad FLOAT literal at offset ${at}`);
          this.push(v);
          break;
        }
        case 0x47: // BINFLOAT (big-endian)
          this.push(this.view.getFloat64(this.skip(8), false));
          break;
        case 0x58: // BINUNICODE
          this.push(this.utf8(this.view.getUint32(this.skip(4), true), at));
          break;
        case 0x8c: // SHORT_BINUNICODE
          this.push(this.utf8(this.u8(), at));
          break;
        case 0x8d: // BINUNICODE8
          this.push(this.utf8(this.u64(), at));
          break;
        case 0x54: // BINSTRING (py2 str, decoded as latin-1)
          this.push(latin1.decode(this.take(this.view.getInt32(this.skip(4), true))));
          break;
        case 0x55: // SHORT_BINSTRING
          this.push(latin1.decode(this.take(this.u8())));
          break;
        case 0x42: // BINBYTES
          this.push(this.take(this.view.getUint32(this.skip(4), true)));
          break;
        case 0x43: // SHORT_BINBYTES
          this.push(this.take(this.u8()));
          break;
        case 0x8e: // BINBYTES8
        case 0x96: // BYTEARRAY8
          this.push(this.take(this.u64()));
          break;
        case 0x29: // EMPTY_TUPLE
          this.push(new PyTuple([]));
          break;
        case 0x85: {
          // TUPLE1
          const t = new PyTuple([this.popValue()]);
          this.push(this.nest(t, t.items));
          break;
        }
        case 0x86: {
          // TUPLE2
          const b = this.popValue();
          const t = new PyTuple([this.popValue(), b]);
          this.push(this.nest(t, t.items));
          break;
        }
        case 0x87: {
          // TUPLE3
          const c = this.popValue();
          const b = this.popValue();
          const t = new PyTuple([this.popValue(), b, c]);
          this.push(this.nest(t, t.items));
          break;
        }
        case 0x74:
          {
            // TUPLE
            const t = new PyTuple(this.popMark());
            this.push(this.nest(t, t.items));
            break;
          }
          break;
        case 0x5d: // EMPTY_LIST
          this.push(new PyList([]));
          break;
        case 0x6c:
          {
            // LIST
            const l = new PyList(this.popMark());
            this.push(this.nest(l, l.items));
            break;
          }
          break;
        case 0x61: {
          // APPEND
          const v = this.popValue();
          this.nest(this.listAt(at), [v]).items.push(v);
          break;
        }
        case 0x65: {
          // APPENDS
          const items = this.popMark();
          const list = this.nest(this.listAt(at), items);
          for (const v of items) list.items.push(v);
          break;
        }
        case 0x7d: // EMPTY_DICT
          this.push(new PyDict());
          break;
        case 0x64: {
          // DICT
          const items = this.popMark();
          const d = this.nest(new PyDict(), items);
          this.setItems(d, items, at);
          this.push(d);
          break;
        }
        case 0x73: {
          // SETITEM
          const v = this.popValue();
          const k = this.popValue();
          this.setItems(this.nest(this.dictAt(at), [v]), [k, v], at);
          break;
        }
        case 0x75: {
          // SETITEMS
          const items = this.popMark();
          this.setItems(this.nest(this.dictAt(at), items), items, at);
          break;
        }
        case 0x8f: // EMPTY_SET (kept as a list: sets only carry plain values here)
          this.push(new PyList([]));
          break;
        case 0x90: {
          // ADDITEMS
          const items = this.popMark();
          const set = this.nest(this.listAt(at), items);
          for (const v of items) set.items.push(v);
          break;
        }
        case 0x91: {
          // FROZENSET
          const l = new PyList(this.popMark());
          this.push(this.nest(l, l.items));
          break;
        }
        case 0x63: {
          // GLOBAL
          const module = this.line();
          const name = this.line();
          this.push(this.global(module, name));
          break;
        }
        case 0x93: {
          // STACK_GLOBAL
          const name = this.popValue();
          const module = this.popValue();
          if (typeof module !== 'string' || typeof name !== 'string')
            throw new PickleError(`STACK_GLOBAL at offset ${at} without string operands`);
          this.push(this.global(module, name));
          break;
        }
        case 0x52: {
          // REDUCE
          const args = this.popValue();
          const callable = this.popValue();
          if (!(args instanceof PyTuple)) throw new PickleError(`REDUCE at offset ${at} without an argument tuple`);
          if (!this.opts.reduce) throw new PickleError(`REDUCE at offset ${at} is not allowed here`, 'unsupported');
          this.push(this.opts.reduce(callable, args));
          break;
        }
        case 0x81: {
          // NEWOBJ
          const args = this.popValue();
          const cls = this.popValue();
          if (!(args instanceof PyTuple)) throw new PickleError(`NEWOBJ at offset ${at} without an argument tuple`);
          if (!this.opts.newObject) throw new PickleError(`NEWOBJ at offset ${at} is not allowed here`, 'unsupported');
          this.push(this.opts.newObject(cls, args));
          break;
        }
        case 0x62: {
          // BUILD
          const state = this.popValue();
          const target = this.peek();
          if (target instanceof PyObject && target.state === null) target.state = state;
          else if (target instanceof PyDict && state instanceof PyDict)
            for (const [k, v] of state.map) target.map.set(k, v);
          else throw new PickleError(`BUILD at offset ${at} on an object that cannot take state`, 'unsupported');
          break;
        }
        case 0x51: {
          // BINPERSID
          const pid = this.popValue();
          if (!this.opts.persistentLoad)
            throw new PickleError(`persistent id at offset ${at} is not allowed here`, 'unsupported');
          this.push(this.opts.persistentLoad(pid));
          break;
        }
        case 0x50: {
          // PERSID (text)
          const pid = this.line();
          if (!this.opts.persistentLoad)
            throw new PickleError(`persistent id at offset ${at} is not allowed here`, 'unsupported');
          this.push(this.opts.persistentLoad(pid));
          break;
        }
        case 0x71: // BINPUT
          this.put(this.u8());
          break;
        case 0x72: // LONG_BINPUT
          this.put(this.view.getUint32(this.skip(4), true));
          break;
        case 0x70: // PUT
          this.put(this.parseIndex(this.line(), at));
          break;
        case 0x94: // MEMOIZE
          this.put(this.memo.size);
          break;
        case 0x68: // BINGET
          this.push(this.get(this.u8(), at));
          break;
        case 0x6a: // LONG_BINGET
          this.push(this.get(this.view.getUint32(this.skip(4), true), at));
          break;
        case 0x67: // GET
          this.push(this.get(this.parseIndex(this.line(), at), at));
          break;
        default:
          throw new PickleError(`unsupported pickle opcode ${printable(op)} at offset ${at}`, 'unsupported');
      }
    }
  }

  private global(module: string, name: string): PyGlobal {
    const qualified = `${module}.${name}`;
    if (!this.opts.allowedGlobals.has(qualified)) {
      throw new PickleError(
        `pickle references the global '${qualified}', which is not on the allow-list`,
        'forbidden-global',
        qualified,
      );
    }
    return new PyGlobal(module, name);
  }

  private setItems(d: PyDict, items: PyValue[], at: number): void {
    if (items.length % 2) throw new PickleError(`odd number of dict items at offset ${at}`);
    for (let i = 0; i < items.length; i += 2) {
      const k = items[i];
      if (!isDictKey(k)) throw new PickleError(`unsupported dict key type at offset ${at}`, 'unsupported');
      d.map.set(k, items[i + 1]);
    }
  }

  private listAt(at: number): PyList {
    const t = this.peek();
    if (!(t instanceof PyList)) throw new PickleError(`append at offset ${at} on something that is not a list`);
    return t;
  }

  private dictAt(at: number): PyDict {
    const t = this.peek();
    if (!(t instanceof PyDict)) throw new PickleError(`setitem at offset ${at} on something that is not a dict`);
    return t;
  }

  private put(index: number): void {
    if (!this.memo.has(index) && this.memo.size >= this.maxMemo)
      throw new PickleError(`memo grows beyond ${this.maxMemo} entries`);
    this.memo.set(index, this.peek());
  }

  private get(index: number, at: number): PyValue {
    const v = this.memo.get(index);
    if (v === undefined) throw new PickleError(`memo index ${index} read at offset ${at} before it was stored`);
    return v;
  }

  private push(v: PyValue): void {
    if (this.stack.length >= this.maxStack) throw new PickleError(`pickle stack grows beyond ${this.maxStack} items`);
    this.stack.push(v);
  }

  private peek(): PyValue {
    const floor = this.marks.length ? this.marks[this.marks.length - 1] : 0;
    if (this.stack.length <= floor) throw new PickleError(`pickle stack underflow at offset ${this.pos - 1}`);
    return this.stack[this.stack.length - 1] as PyValue;
  }

  private popValue(): PyValue {
    const v = this.peek();
    this.stack.pop();
    return v;
  }

  private popAny(): void {
    if (!this.stack.length) throw new PickleError(`pickle stack underflow at offset ${this.pos - 1}`);
    this.stack.pop();
  }

  private popMark(): PyValue[] {
    const mark = this.marks.pop();
    if (mark === undefined) throw new PickleError(`no MARK on the stack at offset ${this.pos - 1}`);
    const items = this.stack.slice(mark) as PyValue[];
    this.stack.length = mark;
    return items;
  }

  private u8(): number {
    if (this.pos >= this.bytes.length) throw new PickleError('pickle ends before STOP', 'truncated');
    return this.bytes[this.pos++];
  }

  /** Advances by n bytes and returns the old offset. */
  private skip(n: number): number {
    if (n < 0 || this.pos + n > this.bytes.length) {
      throw new PickleError(
        n < 0 ? `negative length at offset ${this.pos}` : `pickle ends inside a ${n}-byte value`,
        n < 0 ? 'corrupt' : 'truncated',
      );
    }
    const at = this.pos;
    this.pos += n;
    return at;
  }

  private take(n: number): Uint8Array {
    const at = this.skip(n);
    return this.bytes.subarray(at, at + n);
  }

  private u64(): number {
    const v = this.view.getBigUint64(this.skip(8), true);
    if (v > BigInt(this.bytes.length)) throw new PickleError(`pickle ends inside a ${v}-byte value`, 'truncated');
    return Number(v);
  }

  private long(n: number): number | bigint {
    if (n > MAX_LONG_BYTES)
      throw new PickleError(`integer of ${n} bytes is larger than this reader supports`, 'unsupported');
    return decodeLong(this.take(n));
  }

  private utf8(n: number, at: number): string {
    try {
      return textDecoder.decode(this.take(n));
    } catch (err) {
      if (err instanceof PickleError) throw err;
      throw new PickleError(`invalid UTF-8 string at offset ${at}`);
    }
  }

  private line(): string {
    const limit = Math.min(this.bytes.length, this.pos + MAX_LINE + 1);
    const rel = this.bytes.subarray(this.pos, limit).indexOf(0x0a);
    if (rel < 0) {
      if (limit === this.bytes.length && limit - this.pos <= MAX_LINE)
        throw new PickleError('pickle ends inside a text line', 'truncated');
      throw new PickleError(`text line longer than ${MAX_LINE} bytes at offset ${this.pos}`);
    }
    const end = this.pos + rel;
    const s = latin1.decode(this.bytes.subarray(this.pos, end));
    this.pos = end + 1;
    return s;
  }

  private parseIntText(s: string, at: number): number | bigint {
    if (!/^[-+]?\d+$/.test(s)) throw new PickleError(`bad integer literal at offset ${at}`);
    const v = BigInt(s);
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  }

  private parseIndex(s: string, at: number): number {
    const v = this.parseIntText(s, at);
    if (typeof v !== 'number' || v < 0) throw new PickleError(`bad memo index at offset ${at}`);
    return v;
  }
}

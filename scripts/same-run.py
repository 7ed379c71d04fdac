#!/usr/bin/env python3
"""Are two SemiSeg run folders (or two comparison folders) the same result? Used by scripts/kill-resume.sh and
scripts/slurm-test.sh; python3 standard library only.

usage: same-run.py train REF GOT EPOCHS
       same-run.py compare REF GOT EPOCHS CELL,CELL,...
Prints "weights predictions metrics" as yes/NO (the checkpoints' tensors, the predictions' voxels, summary.json without
timings + metrics.csv rows without seconds + TensorBoard epochs); the differences go to stderr. compare mode checks
every cell and the comparison's summary.json and summary.csv (without timing rows).
"""
import gzip, hashlib, json, os, struct, sys

def tensors(path):
    """name -> sha256 of dtype, shape and bytes of every tensor (the JSON metadata is skipped)."""
    with open(path, 'rb') as f:
        raw = f.read()
    n = struct.unpack('<Q', raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    data = raw[8 + n:]
    out = {}
    for k, v in header.items():
        if k == '__metadata__':
            continue
        a, b = v['data_offsets']
        out[k] = hashlib.sha256(json.dumps([v['dtype'], v['shape']]).encode() + data[a:b]).hexdigest()
    return out

def voxels(path):
    raw = gzip.open(path).read() if path.endswith('.gz') else open(path, 'rb').read()
    size = struct.unpack('<i', raw[:4])[0]
    if size == 348:
        dims, off = struct.unpack('<8h', raw[40:56]), int(struct.unpack('<f', raw[108:112])[0])
    else:  # NIfTI-2
        dims, off = struct.unpack('<8q', raw[16:80]), struct.unpack('<q', raw[168:176])[0]
    return hashlib.sha256(repr(dims).encode() + raw[off:]).hexdigest()

def untimed(v):
    if isinstance(v, dict):
        return {k: untimed(x) for k, x in v.items() if 'seconds' not in k.lower()}
    if isinstance(v, list):
        return [untimed(x) for x in v]
    return v

def metrics_rows(path):
    lines = open(path).read().strip().split('\n')
    cols = lines[0].split(',')
    rows = [dict(zip(cols, l.split(','))) for l in lines[1:]]
    epochs = [int(r['epoch']) for r in rows]
    return cols, [{k: v for k, v in r.items() if k != 'seconds'} for r in rows], epochs

def varint(b, i):
    v = s = 0
    while True:
        x = b[i]; i += 1; v |= (x & 0x7F) << s; s += 7
        if x < 0x80: return v, i

def fields(b):
    """(field, wire type, value) of a protobuf message: ints for varints, bytes for length-delimited fields."""
    i, out = 0, []
    while i < len(b):
        k, i = varint(b, i)
        f, t = k >> 3, k & 7
        if t == 0: v, i = varint(b, i)
        elif t == 1: v, i = b[i:i + 8], i + 8
        elif t == 5: v, i = b[i:i + 4], i + 4
        elif t == 2:
            n, i = varint(b, i); v, i = b[i:i + n], i + n
        else: raise ValueError('wire type %d' % t)
        out.append((f, t, v))
    return out

def tensorboard_steps(run):
    """tag -> steps over the run's TensorBoard event files in name order (TFRecord: u64 length, u32 crc, data, u32 crc;
    Event.step = 2, Event.summary = 5, Summary.value = 1, Value.tag = 1)."""
    d, steps = os.path.join(run, 'tensorboard'), {}
    for name in sorted(os.listdir(d)) if os.path.isdir(d) else []:
        raw, i = open(os.path.join(d, name), 'rb').read(), 0
        while i + 12 <= len(raw):
            n = struct.unpack('<Q', raw[i:i + 8])[0]
            data = raw[i + 12:i + 12 + n]
            i += 16 + n
            ev = fields(data)
            step = next((v for f, t, v in ev if f == 2 and t == 0), 0)
            for f, t, v in ev:
                if f == 5 and t == 2:
                    for vf, _, val in fields(v):
                        tag = next((x for g, tt, x in fields(val) if g == 1 and tt == 2), b'').decode()
                        steps.setdefault(tag, []).append(step)
    return steps

def compare_run(ref, got, epochs, problems):
    """Returns (weights_same, predictions_same, metrics_same)."""
    w = p = m = True
    for ck in ('last', 'best'):
        a, b = os.path.join(ref, 'checkpoints', ck + '.safetensors'), os.path.join(got, 'checkpoints', ck + '.safetensors')
        if not os.path.exists(b):
            problems.append(f'{got}: {ck}.safetensors missing'); w = False; continue
        ta, tb = tensors(a), tensors(b)
        diff = sorted(k for k in set(ta) | set(tb) if ta.get(k) != tb.get(k))
        if diff:
            problems.append(f'{got}: {ck}.safetensors: {len(diff)} tensors differ, e.g. {diff[:3]}'); w = False
    pa, pb = os.path.join(ref, 'predictions'), os.path.join(got, 'predictions')
    files = sorted(os.path.relpath(os.path.join(d, f), pa) for d, _, fs in os.walk(pa) for f in fs)
    gfiles = sorted(os.path.relpath(os.path.join(d, f), pb) for d, _, fs in os.walk(pb) for f in fs) if os.path.isdir(pb) else []
    if files != gfiles:
        problems.append(f'{got}: prediction files differ: {sorted(set(files) ^ set(gfiles))[:5]}'); p = False
    for f in files:
        if f in gfiles and voxels(os.path.join(pa, f)) != voxels(os.path.join(pb, f)):
            problems.append(f'{got}: predictions/{f}: voxel data differ'); p = False
    sa, sb = os.path.join(ref, 'summary.json'), os.path.join(got, 'summary.json')
    if not os.path.exists(sb):
        problems.append(f'{got}: summary.json missing'); m = False
    elif untimed(json.load(open(sa))) != untimed(json.load(open(sb))):
        problems.append(f'{got}: summary.json (per-case metrics) differs'); m = False
    ca, ra, _ = metrics_rows(os.path.join(ref, 'metrics.csv'))
    cb, rb, eb = metrics_rows(os.path.join(got, 'metrics.csv'))
    if eb != list(range(1, epochs + 1)):
        problems.append(f'{got}: metrics.csv epochs {eb} (duplicated or missing rows)'); m = False
    elif (ca, ra) != (cb, rb):
        problems.append(f'{got}: metrics.csv rows differ'); m = False
    # TensorBoard: every epoch logged exactly once, in order, however the run was killed and resumed.
    tb = tensorboard_steps(got)
    if tb.get('train/loss') != list(range(1, epochs + 1)):
        problems.append(f'{got}: TensorBoard train/loss steps {tb.get("train/loss")} (duplicated or missing epochs)'); m = False
    if tb.get('val/dice') != tensorboard_steps(ref).get('val/dice'):
        problems.append(f'{got}: TensorBoard val/dice steps {tb.get("val/dice")} differ from the uninterrupted run'); m = False
    for d, _, fs in os.walk(got):
        for f in fs:
            if f.startswith('.') and ('.tmp-' in f or '.partial-' in f):
                problems.append(f'{got}: temporary file left: {os.path.join(d, f)}'); m = False
    return w, p, m

mode, ref, got, epochs = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
problems = []
if mode == 'train':
    res = compare_run(ref, got, epochs, problems)
else:
    cells = sys.argv[5].split(',')
    res = [True, True, True]
    for c in cells:
        r = compare_run(os.path.join(ref, 'cells', c), os.path.join(got, 'cells', c), epochs, problems)
        res = [x and y for x, y in zip(res, r)]
    for f in ('summary.json',):
        if untimed(json.load(open(os.path.join(ref, f)))) != untimed(json.load(open(os.path.join(got, f)))):
            problems.append(f'{got}: {f} differs'); res[2] = False
    def csv_rows(path):  # without the timing rows
        return [l for l in open(path).read().split('\n') if ',train_seconds,' not in l]
    a, b = csv_rows(os.path.join(ref, 'summary.csv')), csv_rows(os.path.join(got, 'summary.csv'))
    if a != b:
        problems.append(f'{got}: summary.csv differs'); res[2] = False
for p in problems:
    print('    ' + p, file=sys.stderr)
print(' '.join('yes' if x else 'NO' for x in res))

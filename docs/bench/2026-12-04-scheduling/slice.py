import ctypes, struct, sys
libc = ctypes.CDLL(None, use_errno=True)
SYS_sched_setattr, SYS_sched_getattr = 314, 315
def set_slice(tid, ns):
    buf = struct.pack('IIQiIQQQ', 48, 0, 0, 0, 0, ns, 0, 0)
    b = ctypes.create_string_buffer(buf, 48)
    r = libc.syscall(SYS_sched_setattr, tid, b, 0)
    if r != 0: print('err', ctypes.get_errno())
def get(tid):
    b = ctypes.create_string_buffer(56)
    r = libc.syscall(SYS_sched_getattr, tid, b, 56, 0)
    return struct.unpack('IIQiIQQQ', b.raw[:48])
ns = int(sys.argv[1])
for t in sys.argv[2:]:
    set_slice(int(t), ns); print(t, get(int(t)))

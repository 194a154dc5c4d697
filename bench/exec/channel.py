#!/usr/bin/env python3
"""bench/exec's host-side client, two kinds of socket:

  raw SOCK wait SECONDS      until the raw VM's /init (serial_init.c) answers a ping
  raw SOCK ping K            K round trips of a 16-byte command; prints K times (microseconds)
  raw SOCK echo BYTES        BYTES there and back at once (guest echoes); prints microseconds
  raw SOCK write BYTES       the guest writes BYTES to us; prints microseconds
  raw SOCK read BYTES        we write BYTES, the guest reads them and acks; prints microseconds
  raw SOCK quit              the guest powers off

  exec SOCK K                K exec sessions of `true` straight on a VM's exec socket (the
                             runner's end, no CLI): open -> exited; prints K times (microseconds)

SOCK for raw is qemu's `-chardev socket,server=on` of the benchmark's virtio-serial port; for
exec it is <data dir>/vms/NAME/run/exec.sock. Every wait is bounded: a stall of STALL seconds
(environment, default 60) is an error (exit status 1, the reason on stderr).
"""
import json
import os
import socket
import struct
import sys
import threading
import time

STALL = float(os.environ.get("STALL", "60"))
CHUNK = 256 * 1024


def fail(message):
    print("channel.py: " + message, file=sys.stderr)
    sys.exit(1)


def connect(path, deadline):
    while True:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.connect(path)
            s.settimeout(STALL)
            return s
        except OSError as error:
            s.close()
            if time.monotonic() >= deadline:
                fail("cannot connect to %s: %s" % (path, error))
            time.sleep(0.05)


def recv_exact(s, size):
    data = bytearray()
    while len(data) < size:
        part = s.recv(size - len(data))
        if not part:
            fail("the other end closed the stream after %d of %d bytes" % (len(data), size))
        data += part
    return bytes(data)


def drain(s, size):
    """Receives and drops `size` bytes."""
    buffer = memoryview(bytearray(1024 * 1024))
    got = 0
    while got < size:
        n = s.recv_into(buffer, min(len(buffer), size - got))
        if n == 0:
            fail("the stream ended after %d of %d bytes" % (got, size))
        got += n


def send_zeros(s, size, errors):
    zeros = bytes(CHUNK)
    left = size
    try:
        while left > 0:
            n = min(left, CHUNK)
            s.sendall(zeros[:n])
            left -= n
    except OSError as error:
        errors.append(error)


def command(op, count=0):
    return op.encode() + bytes(7) + struct.pack("<Q", count)


def raw(path, action, argument):
    now = time.monotonic
    if action == "wait":
        deadline = now() + float(argument)
        while True:
            s = connect(path, deadline)
            s.settimeout(max(0.1, min(2.0, deadline - now())))
            try:
                s.sendall(command("P"))
                if recv_exact(s, 16) == command("P"):
                    return
            except OSError:
                pass
            finally:
                s.close()
            if now() >= deadline:
                fail("the raw VM did not answer within %s s" % argument)
            time.sleep(0.1)
    s = connect(path, now() + STALL)
    if action == "quit":
        s.sendall(command("Q"))
        return
    if action == "ping":
        times = []
        for _ in range(int(argument)):
            start = time.perf_counter()
            s.sendall(command("P"))
            if recv_exact(s, 16) != command("P"):
                fail("the ping came back changed")
            times.append(round((time.perf_counter() - start) * 1e6))
        print(" ".join(map(str, times)))
        return
    size = int(argument)
    start = time.perf_counter()
    if action == "echo":
        s.sendall(command("E", size))
        errors = []
        sender = threading.Thread(target=send_zeros, args=(s, size, errors))
        sender.start()
        drain(s, size)
        sender.join()
        if errors:
            fail("sending: %s" % errors[0])
    elif action == "write":
        s.sendall(command("W", size))
        drain(s, size)
    elif action == "read":
        s.sendall(command("R", size))
        errors = []
        send_zeros(s, size, errors)
        if errors:
            fail("sending: %s" % errors[0])
        if recv_exact(s, 1) != b"k":
            fail("no acknowledgement from the guest")
    else:
        fail("unknown raw action " + action)
    print(round((time.perf_counter() - start) * 1e6))
    s.close()


# The exec channel's frames (src/contract/exec_channel.hpp): u32 length, u8 type, three zero
# bytes, u32 session (0 on a client's connection), then the payload.
OPEN, STARTED, EXITED, FAILED = 1, 16, 20, 21


def exec_sessions(path, count):
    times = []
    request = json.dumps({"argv": ["true"], "env": []}).encode()
    for _ in range(count):
        start = time.perf_counter()
        s = connect(path, time.monotonic() + STALL)
        s.sendall(struct.pack("<IB3xI", len(request), OPEN, 0) + request)
        while True:
            length, kind, _ = struct.unpack("<IB3xI", recv_exact(s, 12))
            payload = recv_exact(s, length)
            if kind == FAILED:
                fail("exec failed: %r" % payload)
            if kind == EXITED:
                status = struct.unpack("<I", payload)[0]
                if status != 0:
                    fail("true exited with %d" % status)
                break
        times.append(round((time.perf_counter() - start) * 1e6))
        s.close()
    print(" ".join(map(str, times)))


def main(argv):
    if len(argv) >= 4 and argv[1] == "exec":
        exec_sessions(argv[2], int(argv[3]))
    elif len(argv) >= 4 and argv[1] == "raw":
        raw(argv[2], argv[3], argv[4] if len(argv) > 4 else "0")
    else:
        fail("usage: see the top of this file")


if __name__ == "__main__":
    try:
        main(sys.argv)
    except socket.timeout:
        fail("stalled: nothing moved for %s s" % STALL)
    except OSError as error:
        fail(str(error))

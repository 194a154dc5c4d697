#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets, tests/fuzz/corpus/<target>/, from the cases of
the unit tests named beside each list (the same documents and strings, a file each).

Run it after changing a list; it replaces the seeds it names and leaves every other file
alone, so the regression inputs the fuzzers found (crash-*, named after what they broke) stay.
"""

import base64
import gzip
import io
import pathlib
import struct
import tarfile

CORPUS = pathlib.Path(__file__).resolve().parent / "corpus"
HEX_A = "a" * 64
HEX_B = "b" * 64
NUL = b"\0"
LAYER_SEPARATOR = b"MICROVM-NEXT-LAYER"  # unpack_fuzz.cpp's layer_separator


def b64(text):
    return base64.b64encode(text.encode()).decode()


# tests/unit/contract/runner_config_test.cpp. Paths are directories every host has, since the
# parser checks that they exist.
RUNNER_CONFIG = {
    "minimal": '{"root_path":"/","num_vcpus":1,"ram_mib":512}',
    "every_key": """{"root_path":"/","num_vcpus":4,"ram_mib":2048,
 "virtiofs_mounts":[{"tag":"data","path":"/tmp","read_only":true},{"tag":"src","path":"/"}],
 "port_forwards":[{"host":8080,"guest":80,"protocol":"tcp"},
  {"host":5353,"guest":53,"protocol":"udp","host_address":"0.0.0.0"}],
 "network":"user","outbound":"deny","net_sock_path":"/run/net.sock",
 "console_log_path":"/tmp/console.log","stdout_path":"/tmp/out","stderr_path":"/tmp/err",
 "report_path":"/tmp/result.json","runtime_dir":"/tmp","remove_dir":"/tmp/x","log_level":3,
 "engine":"qemu","read_only_policy":"allow-guest-only","libkrun":{"library":"/opt/libkrun.so.1"},
 "qemu":{"binary":"/usr/bin/qemu","kernel":"/boot/vmlinuz","initrd":"/boot/initrd",
  "accel":"tcg","machine":"microvm","kernel_cmdline_extra":"quiet"}}""",
    "overlay": '{"root_path":"/","root_upper_dir":"/tmp","root_work_dir":"/tmp",'
    '"num_vcpus":1,"ram_mib":64}',
    "unknown_keys": '{"root_path":"/","num_vcpus":1,"ram_mib":512,"future_key":{"nested":true},'
    '"virtiofs_mounts":[{"tag":"data","path":"/tmp","uid":1000}],'
    '"libkrun":{"library":"libkrun.so.1","firmware":"x"}}',
    "network_none": '{"root_path":"/","num_vcpus":1,"ram_mib":512,"network":"none",'
    '"port_forwards":[{"host":1,"guest":2}]}',
    "duplicate_tag": '{"root_path":"/","num_vcpus":1,"ram_mib":1,"virtiofs_mounts":'
    '[{"tag":"a","path":"/"},{"tag":"a","path":"/tmp"}]}',
    "bad_types": '{"root_path":7,"num_vcpus":-1,"ram_mib":1.5,"engine":"vmware"}',
    "not_json": '{"root_path":',
}

# tests/unit/contract/guest_config_test.cpp, guest_network_config_test.cpp.
GUEST_CONFIG = {
    "go_microvm": '{"tmp_size_mib":512,"virtiofs_mounts":[{"tag":"data","read_only":true}]}',
    "two_shares": '{"virtiofs_mounts":[{"tag":"workspace","read_only":true},{"tag":"data"}]}',
    "every_key": """{"tmp_size_mib":64,
 "virtiofs_mounts":[{"tag":"src","guest_path":"/home/u/src","read_only":false}],
 "argv":["/usr/bin/env"],"env":["A=1"],"cwd":"/tmp","user":"0","hostname":"box",
 "share_uid":4294967295,"share_gid":7,
 "network":{"address":"10.0.2.15/24","gateway":"10.0.2.2","dns":["10.0.2.3","fd00::3"]}}""",
    "unknown_keys": '{"future":{"x":[1,2]},"tmp_size_mib":1,'
    '"virtiofs_mounts":[{"tag":"a","override_uid":5,"read_only":true}]}',
    "read_only_null": '{"virtiofs_mounts":[{"tag":"d","read_only":null}]}',
    "bad_path": '{"virtiofs_mounts":[{"tag":"a","guest_path":"/x/../etc"}]}',
    "proc_tag": '{"virtiofs_mounts":[{"tag":"proc"}]}',
    "bad_user": '{"user":"4294967295:0","cwd":"srv","env":["=x"]}',
    "nul_in_argv": '{"argv":["a\\u0000b"]}',
    "network_only": '{"network":{"address":"10.0.2.15/24"}}',
}

# tests/unit/host/image/reference_test.cpp.
REFERENCE = {
    "short": "alpine",
    "tag": "alpine:3.20",
    "digest": "alpine@sha256:" + HEX_A,
    "port_tag_digest": "127.0.0.1:5055/test/app:1@sha256:" + HEX_A,
    "ipv6": "[::1]:5000/app",
    "localhost": "localhost/x:1@sha256:" + HEX_B,
    "nested": "ghcr.io/owner/repo/sub:v1",
    "separators": "x/a.b_c__d---e",
    "bad_separators": "a..b",
    "uppercase": "Alpine",
    "empty_tag": "alpine:",
    "oci": "oci:dir:app:1",
    "oci_archive": "oci-archive:/x/image.tar:latest",
    "docker_archive": "docker-archive:saved.tar:busybox:1",
    "docker": "docker://127.0.0.1:5055/test/app:1",
}

# tests/unit/host/image/registry/manifest_test.cpp: "<Content-Type>\n<body>".
MANIFEST_LAYER = '{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:%s","size":20}'
MANIFEST = {
    "oci_manifest": "application/json\n"
    '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",'
    '"config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":10},'
    '"layers":[%s]}' % (HEX_A, MANIFEST_LAYER % HEX_B),
    "docker_manifest": "application/vnd.docker.distribution.manifest.v2+json\n"
    '{"schemaVersion":2,"config":{"mediaType":"application/vnd.docker.container.image.v1+json",'
    '"digest":"sha256:%s","size":10},"layers":[{"mediaType":'
    '"application/vnd.docker.image.rootfs.diff.tar.gzip","digest":"sha256:%s","size":1}]}'
    % (HEX_A, HEX_B),
    "helm_config": "x\n"
    '{"config":{"mediaType":"application/vnd.cncf.helm.config.v1+json","digest":"sha256:%s",'
    '"size":1},"layers":[]}' % HEX_A,
    "md5_digest": "x\n"
    '{"config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"md5:abc",'
    '"size":1},"layers":[]}',
    "oci_index": "application/vnd.oci.image.index.v1+json; charset=utf-8\n"
    '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json",'
    '"digest":"sha256:%s","size":5,"platform":{"os":"linux","architecture":"arm","variant":"v7"}},'
    '{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":5,'
    '"platform":{"os":"linux","architecture":"amd64"}}]}' % (HEX_A, HEX_B),
    "docker_list": "application/vnd.docker.distribution.manifest.list.v2+json\n"
    '{"manifests":[{"mediaType":"application/vnd.docker.distribution.manifest.v2+json",'
    '"digest":"sha256:%s","size":5,"platform":{"os":"linux","architecture":"arm64",'
    '"variant":"v8"}}]}' % HEX_A,
    "config_created": "application/json\n"
    '{"created":"2026-01-02T03:04:05Z"}',
    "schema1": "application/vnd.docker.distribution.manifest.v1+prettyjws\n{}",
}

# tests/unit/host/image/image_config_test.cpp.
IMAGE_CONFIG = {
    "nginx": """{"architecture":"amd64","os":"linux","config":{
 "Entrypoint":["/docker-entrypoint.sh"],"Cmd":["nginx","-g","daemon off;"],
 "Env":["PATH=/usr/bin","NGINX_VERSION=1.27","NOEQUALS"],"WorkingDir":"/srv",
 "User":"101:101","ExposedPorts":{"80/tcp":{}},"Labels":null},
 "rootfs":{"type":"layers","diff_ids":[]}}""",
    "empty": '{"architecture":"amd64"}',
    "nulls": '{"config":{"Entrypoint":null,"Cmd":null,"Env":null}}',
    "relative_workdir": '{"config":{"Cmd":["sh"],"WorkingDir":"srv","User":"root"}}',
    "bad_cmd": '{"config":{"Cmd":"sh"}}',
    "bad_user": '{"config":{"User":0}}',
    "config_array": '{"config":[]}',
}

# tests/unit/base/user_accounts_test.cpp: "<spec>\0<passwd>\0<group>".
PASSWD = (
    "# comment\nroot:x:0:0:root:/root:/bin/sh\n\n+nis\nbroken:x:notanumber:1::/:/bin/false\n"
    "app:x:1000:1001:App:/home/app:/bin/sh\nshort:x\ndaemon:x:2:2\n"
)
GROUP = "root:x:0:\nwheel:x:10:app\napp:x:1001:\nstaff:x:50"
USER = {
    name: "\0".join([spec, PASSWD, GROUP])
    for name, spec in {
        "root": "",
        "name": "app",
        "uid": "1000",
        "unlisted": "4000",
        "name_group": "app:wheel",
        "uid_gid": "1000:1000",
        "unknown_group": "app:nogroup",
        "empty_group": "app:",
        "out_of_range": "4294967295",
        "group_out_of_range": "1:99999999999",
    }.items()
}
USER["no_files"] = "app"

# tests/unit/host/image/registry/auth_file_test.cpp: "<file>\0<registry>\0<repository>".
AUTH_FILE = {
    "registry": '{"auths":{"quay.io":{"auth":"%s"}}}\0quay.io\0org/app' % b64("u:p:w"),
    "docker_hub_legacy": '{"auths":{"https://index.docker.io/v1/":{"auth":"%s"}}}' % b64("d:h"),
    "namespaces": '{"auths":{"reg.example:5000":{"auth":"%s"},"reg.example:5000/team":'
    '{"auth":"%s"},"reg.example:5000/team/app":{"auth":"%s"}}}\0reg.example:5000\0team/app/x'
    % (b64("host:1"), b64("team:2"), b64("app:3")),
    "bad_base64": '{"auths":{"r":{"auth":"!!!!"}}}\0r\0x',
    "no_colon": '{"auths":{"r":{"auth":"%s"}}}\0r\0x' % b64("nocolon"),
    "helpers": '{"credHelpers":{"r.io":"one"},"credsStore":"all","auths":{"r.io":'
    '{"auth":"%s"}}}\0r.io\0x' % b64("file:1"),
    "hub_helper": '{"credHelpers":{"index.docker.io":"hub"}}\0docker.io\0library/alpine',
    "bad_store": '{"credsStore":7}\0r\0x',
    "empty_helper": '{"credHelpers":{"r":""}}\0r\0x',
    "not_json": "{not json",
}

# tests/unit/host/image/registry/auth_challenge_test.cpp.
AUTH_CHALLENGE = {
    "docker_hub": 'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",'
    'scope="repository:library/alpine:pull"',
    "case_spaces_escapes": '  bearer Realm = "https://a/t?x=1" , service=reg ,, x="a\\"b"',
    "basic": 'Basic realm="microvm-test"',
    "basic_bare": "Basic",
    "negotiate": "Negotiate abc",
    "no_realm": 'Bearer service="x"',
    "unterminated": 'Bearer realm="unterminated',
    "no_value": "Bearer realm",
}

# tests/unit/host/image/registry/response_error_test.cpp, auth_challenge_test.cpp (tokens).
REGISTRY_RESPONSE = {
    "errors": '{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"},{"code":"X"}]}',
    "error_types": '{"errors":[{"code":404,"message":["x"]},{"code":1}]}',
    "text": "oops\n",
    "html": "<html><body>502 Bad Gateway</body></html>",
    "token": '{"token":"t1","access_token":"a1","expires_in":300}',
    "access_token": '{"token":"","access_token":"a1"}',
    "token_types": '{"token":7,"access_token":{"x":1}}',
}

# tests/unit/host/hypervisor/qemu/modules_test.cpp: "<modules.dep>\0<modules.builtin>".
DEBIAN_DEP = (
    "kernel/fs/fuse/fuse.ko:\n"
    "kernel/fs/fuse/virtiofs.ko: kernel/drivers/virtio/virtio.ko "
    "kernel/drivers/virtio/virtio_ring.ko kernel/fs/fuse/fuse.ko\n"
    "kernel/drivers/virtio/virtio.ko: kernel/drivers/virtio/virtio_ring.ko\n"
    "kernel/drivers/virtio/virtio_ring.ko:\n"
    "kernel/drivers/virtio/virtio_pci.ko: kernel/drivers/virtio/virtio_pci_legacy_dev.ko "
    "kernel/drivers/virtio/virtio_pci_modern_dev.ko kernel/drivers/virtio/virtio.ko "
    "kernel/drivers/virtio/virtio_ring.ko\n"
    "kernel/drivers/virtio/virtio_pci_legacy_dev.ko:\n"
    "kernel/drivers/virtio/virtio_pci_modern_dev.ko:\n"
    "kernel/drivers/char/virtio_console.ko: kernel/drivers/virtio/virtio.ko "
    "kernel/drivers/virtio/virtio_ring.ko\n"
    "kernel/drivers/net/virtio_net.ko: kernel/drivers/net/net_failover.ko "
    "kernel/net/core/failover.ko kernel/drivers/virtio/virtio.ko "
    "kernel/drivers/virtio/virtio_ring.ko\n"
    "kernel/drivers/net/net_failover.ko: kernel/net/core/failover.ko\n"
    "kernel/net/core/failover.ko:\n"
    "kernel/drivers/char/hw_random/virtio-rng.ko.xz: kernel/drivers/virtio/virtio.ko "
    "kernel/drivers/virtio/virtio_ring.ko\n"
)
MODULES_DEP = {
    "debian": DEBIAN_DEP,
    "builtin": "kernel/fs/fuse/fuse.ko:\nkernel/fs/fuse/virtiofs.ko: kernel/fs/fuse/fuse.ko\n\0"
    "kernel/drivers/virtio/virtio_pci.ko\nkernel/drivers/char/virtio_console.ko\n"
    "kernel/drivers/net/virtio_net.ko\n",
    "missing_dependency": "kernel/fs/fuse/virtiofs.ko: kernel/fs/fuse/fuse.ko\n",
    "cycle": "virtio_pci.ko: b.ko\nb.ko: virtio_pci.ko\n",
    "compressed": "/abs/virtio_pci.ko.zst: x.ko.gz\nx.ko.gz:\nvirtiofs.ko.xz:\n",
    "no_colon": "kernel/fs/fuse/fuse.ko\n",
}

# tests/unit/contract/status_line_test.cpp, tests/unit/guest/ports_test.cpp.
EXIT_STATUS = {
    "zero": "exit=0\n",
    "last_wins": "exit=1\nexit=255\r\n",
    "out_of_range": "exit=256\nexit=-1\nexit=+3\n",
    "garbage": "boot noise\nexit=\nexit=12x\n",
}

# tests/unit/contract/runner_report_test.cpp, tests/unit/host/microvm/vm_registry_test.cpp.
RUNNER_REPORT = {
    "qemu_end": '{"vmm_started":true,"engine":"qemu","kernel":"/boot/vmlinuz",'
    '"accelerator":"tcg","shares":[{"tag":"src","read_only":true,"host_enforced":true},'
    '{"tag":"rw"}],"exit_code":0}',
    "libkrun_up": '{"vmm_started":true,"engine":"libkrun","accelerator":"kvm",'
    '"shares":[{"tag":"ro","read_only":true,"host_enforced":false}],'
    '"status_is_runner_exit":true}',
    "failed": '{"vmm_started":false,"error":"qemu not found"}',
    "both": '{"exit_code":1,"error":"x"}',
    "bad_types": '{"vmm_started":"yes","exit_code":256,"shares":[{"tag":""}]}',
}


def exec_frame(kind, session, payload=b""):
    """One exec channel frame (contract/exec_channel.hpp): u32 length, u8 type, three zero
    bytes, u32 session, little-endian; then the payload."""
    if isinstance(payload, str):
        payload = payload.encode()
    return struct.pack("<IB3xI", len(payload), kind, session) + payload


def exec_u32(kind, session, value):
    return exec_frame(kind, session, struct.pack("<I", value))


# The exec channel's frame types (ExecFrameType).
OPEN, STDIN, STDIN_CLOSE, SIGNAL, RESIZE, OUTPUT_CREDIT, HANGUP = 1, 2, 3, 4, 5, 6, 7
STARTED, STDOUT, STDERR, STDIN_CREDIT, EXITED, FAILED = 16, 17, 18, 19, 20, 21

# tests/unit/contract/exec_channel_test.cpp: one byte, then the stream. The byte's low 7 bits are
# the size of each read the harness feeds the decoder (0: as much as fits); its high bit repeats
# the stream to past the window and twice the decoder's buffer.
EXEC_FRAME_MAX = exec_frame(STDOUT, 1)[:12].replace(b"\0\0\0\0", b"\0\0\1\0", 1)
EXEC_FRAME = {
    "open_stdin_close": b"\0"
    + exec_frame(OPEN, 7, '{"argv":["sh","-c","cat"],"env":["A=1"],"cwd":"/tmp",'
                 '"user":"nobody:nogroup","tty":true,"rows":30,"cols":100,"stdin":true}')
    + exec_frame(STDIN, 7, b"\0\xff\n")
    + exec_frame(STDIN_CLOSE, 7)
    + exec_u32(OUTPUT_CREDIT, 7, 3),
    "data_split": b"\x05"
    + exec_u32(STARTED, 9, 1234)
    + exec_frame(STDOUT, 9, "hello, world\n")
    + exec_frame(STDERR, 9, "oops\n")
    + exec_u32(STDIN_CREDIT, 9, 0)
    + exec_u32(EXITED, 9, 42),
    "length_4gib": b"\0" + b"\xff\xff\xff\xff\x11\0\0\0\x01\0\0\0",
    "reserved_byte": b"\x01" + exec_frame(OPEN, 1)[:6] + b"\x01" + exec_frame(OPEN, 1)[7:],
    "unknown_type": b"\0" + exec_u32(SIGNAL, 1, 15) + exec_frame(99, 1, "x"),
    "failed": b"\x03" + exec_frame(FAILED, 2, b"\x7d\0\0\0no such user: nobody")
    + exec_frame(FAILED, 3, b"\0\x01\0\0"),
    "resize": b"\x02" + exec_frame(RESIZE, 4, struct.pack("<HH", 24, 80))
    + exec_u32(SIGNAL, 4, 28) + exec_frame(HANGUP, 4),
    # A 64 KiB stdout frame's header and 16 bytes: repeated, frames of exactly the limit
    # (12 + 65536 is a multiple of 28) that wrap the buffer and overrun the credit.
    "max_payload_repeated": b"\x80" + EXEC_FRAME_MAX + b"0123456789abcdef",
    # Repeated, a session's stdin, granted back in part, until it overruns its credit; read 7
    # bytes at a time.
    "credit_repeated": b"\x87" + exec_frame(STDIN, 5, b"\x02" * 200)
    + exec_u32(STDIN_CREDIT, 5, 20),
}


def tar_bytes(entries, compress=False):
    """A tar stream of `entries` (tuples of kind, name, then data / target / mode), GNU format,
    without the padding to a 10 KiB record that tarfile adds, so seeds stay small."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.GNU_FORMAT) as tar:
        for kind, name, *rest in entries:
            info = tarfile.TarInfo(name)
            data = None
            if kind == "file":
                data = rest[0].encode()
                info.size = len(data)
                info.mode = rest[1] if len(rest) > 1 else 0o644
            elif kind == "dir":
                info.type = tarfile.DIRTYPE
                info.mode = rest[0] if rest else 0o755
            elif kind == "symlink":
                info.type = tarfile.SYMTYPE
                info.linkname = rest[0]
            elif kind == "hardlink":
                info.type = tarfile.LNKTYPE
                info.linkname = rest[0]
            elif kind == "fifo":
                info.type = tarfile.FIFOTYPE
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
        end = tar.offset
    raw = out.getvalue()[: end + 1024]
    return gzip.compress(raw, mtime=0) if compress else raw


def layers(*tars):
    return LAYER_SEPARATOR.join(tars)


# tests/unit/host/image/unpack_test.cpp, unpack_attack_test.cpp, unpack_whiteout_test.cpp.
# "victim" is the name the fuzzer's escape check would see next to the root.
UNPACK = {
    "tree": tar_bytes([("dir", "etc"), ("file", "etc/hostname", "box\n"),
                       ("file", "bin/sh", "#!", 0o4755), ("symlink", "usr/bin", "/bin"),
                       ("hardlink", "bin/ash", "bin/sh")]),
    "gzip": tar_bytes([("file", "a", "x"), ("dir", "d", 0o555)], compress=True),
    "traversal": tar_bytes([("file", "../victim/secret", "pwned")]),
    "absolute_symlink_parent": tar_bytes([("symlink", "escape", "/victim"),
                                          ("file", "escape/secret", "pwned")]),
    "relative_symlink_escape": layers(
        tar_bytes([("dir", "victim"), ("symlink", "up", "../victim")]),
        tar_bytes([("file", "up/secret", "pwned"), ("file", "up/dir/config", "pwned")])),
    "deep_symlink": layers(
        tar_bytes([("dir", "usr"), ("symlink", "usr/lib", "../../victim")]),
        tar_bytes([("dir", "usr/lib/dir", 0o777), ("file", "usr/lib/secret", "pwned")])),
    "dangling_behind_link": tar_bytes([("dir", "real"), ("symlink", "alias", "real"),
                                       ("symlink", "real/out", "../../victim"),
                                       ("file", "alias/out/secret", "pwned")]),
    "file_over_symlink": layers(tar_bytes([("symlink", "link", "/victim/secret")]),
                                tar_bytes([("file", "link", "pwned", 0o777)])),
    "hardlink_through_symlink": layers(tar_bytes([("symlink", "a", "../victim")]),
                                       tar_bytes([("hardlink", "stolen", "a/secret")])),
    "hardlink_to_symlink": tar_bytes([("symlink", "s", "/victim/secret"),
                                      ("hardlink", "h", "s")]),
    "whiteouts": layers(
        tar_bytes([("dir", "d"), ("file", "d/keep", "k"), ("file", "gone", "x"),
                   ("symlink", "a", "../victim")]),
        tar_bytes([("file", ".wh.gone", ""), ("file", "a/.wh.secret", ""),
                   ("file", "d/.wh..wh..opq", ""), ("file", "d/new", "n"),
                   ("file", ".wh..wh.plnk", "")])),
    "opaque_through_symlink": layers(tar_bytes([("symlink", "a", "/victim")]),
                                     tar_bytes([("file", "a/.wh..wh..opq", "")])),
    "replace_root": tar_bytes([("symlink", "./", "/victim")]),
    "symlink_loop": tar_bytes([("symlink", "a", "b"), ("symlink", "b", "a"),
                               ("file", "a/x", "x")]),
    "special": tar_bytes([("fifo", "dev/fifo"), ("file", "after", "x")]),
}

# tests/unit/contract/egress_rules_test.cpp: a policy file's text.
EGRESS_RULE = {
    "every_form": "# the package index\n\n  pypi.org:443   # comments end a line\n"
    "\t*.Files.Test.\r\n10.1.0.0/16:53/udp\n192.0.2.7:8000-8080\n[2001:db8::]/32:443\n"
    "[::ffff:192.0.2.1]/udp\n_dmarc.example.com\n0.0.0.0/0\n",
    "one_rule": "*.example.com:1-65535/tcp",
    "bad_line": "ok.test\n# comment\n  a..b  # bad\n",
    "wildcard_alone": "*.",
    "bad_address": "300.1.1.1",
    "port_zero": "x.test:0",
    "host_bits": "10.1.2.3/16",
    "inner_star": "*a.test",
    "reversed_range": "x.test:90-80",
    "leading_dash": "-a.test",
    "long_label": "a" * 64 + ".test",
    "unbracketed_v6": "2001:db8::1",
    "bracket_open": "[::1",
    "escaped_name": "a\\.example.com",
}


def mac(text):
    return bytes(int(part, 16) for part in text.split(":"))


def ipv4(text):
    return bytes(int(part) for part in text.split("."))


def ones_complement(data, total=0):
    if len(data) % 2:
        data += b"\0"
    for i in range(0, len(data), 2):
        total += data[i] << 8 | data[i + 1]
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


GUEST_MAC = mac("52:54:00:12:34:56")
GATEWAY_MAC = mac("52:55:0a:00:02:02")
TCP, UDP, ICMP = 6, 17, 1
SYN, ACK, RST = 0x02, 0x10, 0x04


def guest_frame(destination, protocol=TCP, port=443, flags=SYN, payload=b"", options=b"",
                fragment=0x4000, source="10.0.2.15"):
    """An Ethernet frame from the guest: IPv4 (with `options`) and a TCP, UDP or ICMP echo
    header, correct lengths and checksums (guest_frames_test.cpp's frame_of)."""
    header_length = 20 + len(options)
    if protocol == TCP:
        l4 = struct.pack("!HHIIBBHHH", 40000, port, 1000, 0, 5 << 4, flags, 64240, 0, 0)
    elif protocol == UDP:
        l4 = struct.pack("!HHHH", 40000, port, 8 + len(payload), 0)
    else:
        l4 = struct.pack("!BBHHH", 8, 0, 0, 1, 1)
    segment = l4 + payload
    pseudo = ipv4(source) + ipv4(destination) + struct.pack("!HH", protocol, len(segment))
    if protocol == TCP:
        checksum = ones_complement(pseudo + segment)
        segment = segment[:16] + struct.pack("!H", checksum) + segment[18:]
    elif protocol == UDP:
        checksum = ones_complement(pseudo + segment) or 0xFFFF
        segment = segment[:6] + struct.pack("!H", checksum) + segment[8:]
    else:
        segment = segment[:2] + struct.pack("!H", ones_complement(segment)) + segment[4:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x40 | header_length // 4, 0,
                     header_length + len(segment), 0x1234, fragment, 64, protocol, 0,
                     ipv4(source), ipv4(destination)) + options
    ip = ip[:10] + struct.pack("!H", ones_complement(ip)) + ip[12:]
    return GATEWAY_MAC + GUEST_MAC + b"\x08\x00" + ip + segment


def dns_name(name):
    out = b""
    for label in name.rstrip(".").split("."):
        if label:
            out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def dns_record(name, rtype, rdata, ttl=300):
    return dns_name(name) + struct.pack("!HHIH", rtype, 1, ttl, len(rdata)) + rdata


A, CNAME, AAAA, OPT, TXT = 1, 5, 28, 41, 16


def dns_message(name, qtype=A, ident=0x1234, flags=0x0100, qclass=1, answers=(), edns=None,
                questions=1):
    """A DNS message (RFC 1035 wire format) with `questions` copies of the question, the
    answer records, and an OPT record when `edns` is a UDP size."""
    additional = b""
    if edns is not None:
        additional = b"\0" + struct.pack("!HHIH", OPT, edns, 0, 0)
    out = struct.pack("!HHHHHH", ident, flags, questions, len(answers), 0,
                      1 if edns is not None else 0)
    out += (dns_name(name) + struct.pack("!HH", qtype, qclass)) * questions
    return out + b"".join(answers) + additional


DNS_ANSWER_SEPARATOR = b"MICROVM-UPSTREAM"  # dns_message_fuzz.cpp's answer_separator

# tests/unit/runner/net/guest_frames_test.cpp.
DNS_QUERY = dns_message("api.example.com", edns=1232)
GUEST_FRAME = {
    "syn": guest_frame("192.0.2.7"),
    "syn_ack": guest_frame("192.0.2.7", flags=SYN | ACK),
    "ack_data": guest_frame("192.0.2.7", flags=ACK, payload=b"GET / HTTP/1.1\r\n\r\n"),
    "syn_resolver": guest_frame("10.0.2.3", port=53),
    "udp": guest_frame("192.0.2.7", UDP, 123, payload=b"\x1b" + b"\0" * 47),
    "dns_query": guest_frame("10.0.2.3", UDP, 53, payload=DNS_QUERY),
    "dns_other_resolver": guest_frame("192.0.2.53", UDP, 53, payload=DNS_QUERY),
    "ip_options": guest_frame("10.0.2.3", UDP, 53, payload=DNS_QUERY, options=b"\x01" * 8),
    "icmp": guest_frame("192.0.2.7", ICMP, payload=b"ping"),
    "fragment": guest_frame("192.0.2.7", UDP, 9, payload=b"x" * 16, fragment=0x2000),
    "from_resolver": guest_frame("10.0.2.15", UDP, 40000, payload=b"x", source="10.0.2.3"),
    "arp": b"\xff" * 6 + GUEST_MAC + b"\x08\x06" + struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1)
    + GUEST_MAC + ipv4("10.0.2.15") + b"\0" * 6 + ipv4("10.0.2.2"),
    "ipv6": GATEWAY_MAC + GUEST_MAC + b"\x86\xdd" + b"\x60" + b"\0" * 39,
}

# tests/unit/runner/net/dns_messages_test.cpp: the guest's message, then optionally
# DNS_ANSWER_SEPARATOR and the upstream's answer.
DNS_MESSAGE = {
    "query": DNS_QUERY,
    "query_mixed_case": dns_message("Api.Example.COM", AAAA),
    "root": dns_message("."),
    "response": dns_message("a.test", flags=0x8180),
    "notify": dns_message("a.test", flags=0x2000),
    "two_questions": dns_message("a.test", questions=2),
    "chaos": dns_message("version.bind", TXT, qclass=3),
    "garbage": b"\x12\x34\x01\x00\0\x01\0\0\0\0\0\0",
    "answer": DNS_QUERY + DNS_ANSWER_SEPARATOR + dns_message(
        "api.example.com", flags=0x8180, answers=[
            dns_record("api.example.com", A, ipv4("192.0.2.10")),
            dns_record("unrelated.test", A, ipv4("198.51.100.1"))]),
    "cname_chain": dns_message("www.example.com") + DNS_ANSWER_SEPARATOR + dns_message(
        "www.example.com", flags=0x8180, answers=[
            dns_record("edge.cdn.test", A, ipv4("192.0.2.20"), ttl=0),
            dns_record("www.example.com", CNAME, dns_name("alias.example.net")),
            dns_record("alias.example.net", CNAME, dns_name("edge.cdn.test")),
            dns_record("edge.cdn.test", AAAA, bytes(15) + b"\x01"),
            dns_record("edge.cdn.test", A, b"\x01\x02\x03")]),
    "many_records": dns_message("many.test", edns=600) + DNS_ANSWER_SEPARATOR + dns_message(
        "many.test", flags=0x8180,
        answers=[dns_record("many.test", A, bytes([192, 0, 2, i])) for i in range(120)]),
    "wrong_id": DNS_QUERY + DNS_ANSWER_SEPARATOR + dns_message(
        "api.example.com", ident=0x4321, flags=0x8180,
        answers=[dns_record("api.example.com", A, ipv4("192.0.2.10"))]),
}

TARGETS = {
    "runner_config": RUNNER_CONFIG,
    "guest_config": GUEST_CONFIG,
    "reference": REFERENCE,
    "manifest": MANIFEST,
    "image_config": IMAGE_CONFIG,
    "user": USER,
    "auth_file": AUTH_FILE,
    "auth_challenge": AUTH_CHALLENGE,
    "registry_response": REGISTRY_RESPONSE,
    "modules_dep": MODULES_DEP,
    "exit_status": EXIT_STATUS,
    "runner_report": RUNNER_REPORT,
    "exec_frame": EXEC_FRAME,
    "unpack": UNPACK,
    "egress_rule": EGRESS_RULE,
    "guest_frame": GUEST_FRAME,
    "dns_message": DNS_MESSAGE,
}


def main():
    for target, seeds in TARGETS.items():
        directory = CORPUS / target
        directory.mkdir(parents=True, exist_ok=True)
        for name, content in seeds.items():
            data = content.encode() if isinstance(content, str) else content
            (directory / name).write_bytes(data)


if __name__ == "__main__":
    main()

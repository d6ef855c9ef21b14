{
  "targets": [
    {
      "target_name": "berth_native",
      "sources": [
        "native/addon/addon.cc",
        "native/addon/args.cc",
        "native/addon/errors.cc",
        "native/addon/fd_ops.cc",
        "native/addon/fs_ops.cc",
        "native/addon/lock.cc",
        "native/addon/netlink.cc",
        "native/addon/remove_tree.cc",
        "native/addon/spawn.cc",
        "native/addon/zstd_decoder.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags_cc": ["-std=c++17", "-Wall", "-Wextra"],
      "libraries": ["-lzstd"]
    },
    {
      "target_name": "berth-shim",
      "type": "executable",
      "sources": [
        "native/shim/main.c",
        "native/shim/spec.c",
        "native/shim/logrotate.c",
        "native/shim/spawn.c",
        "native/shim/fdpass.c",
        "native/shim/container_init.c",
        "native/shim/nsjoin.c",
        "native/shim/health.c",
        "native/shim/mounts.c",
        "native/shim/securepath.c",
        "native/shim/dev.c",
        "native/shim/tty.c",
        "native/shim/loopback.c",
        "native/shim/ports.c",
        "native/shim/caps.c",
        "native/shim/user.c",
        "native/shim/lookpath.c",
        "native/shim/supervise.c",
        "native/shim/attach.c",
        "native/shim/jsonlog.c",
        "native/shim/statefile.c",
        "native/shim/exit_cmd.c",
        "native/shim/diag.c",
        "native/shim/error.c",
        "native/shim/buf.c"
      ],
      "cflags": ["-std=gnu11", "-Wall", "-Wextra", "-O2"]
    },
    {
      "target_name": "berth-client",
      "type": "executable",
      "sources": [
        "native/client/main.c",
        "native/client/service_socket.c",
        "native/client/request.c",
        "native/client/relay.c",
        "native/client/frame.c",
        "native/client/term.c",
        "native/client/winch.c",
        "native/shim/buf.c"
      ],
      "cflags": ["-std=gnu11", "-Wall", "-Wextra", "-O2"]
    },
    {
      "target_name": "berth-udp-echo",
      "type": "executable",
      "sources": ["native/testprogs/udp_echo.c"],
      "cflags": ["-std=gnu11", "-Wall", "-Os"],
      "ldflags": ["-static", "-s"]
    },
    {
      "target_name": "berth-hello",
      "type": "executable",
      "sources": ["native/hello/hello.c"],
      "cflags": ["-std=gnu11", "-Wall", "-Os"],
      "ldflags": ["-static", "-s"]
    }
  ]
}

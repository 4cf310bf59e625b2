# The native simdjson checker (see native/src/checker.h). Built by scripts/build-native.mjs during
# `npm install`; the relay falls back to the TypeScript engine when the build fails.
#
# simdjson's On-Demand API is compiled for one instruction set chosen at build time (it has no runtime
# dispatch). The baseline here is x86-64-v2 (SSE4.2 + PCLMUL: every x86 server since 2010, simdjson's
# "westmere" kernel); ZPA_NATIVE_MARCH=haswell (or native, ...) in the environment selects a wider one.
# Other architectures get the compiler's default (arm64 always has NEON, simdjson's arm64 kernel).
#
# zpa_igzip (src/igzip.cc) is gzip compression with Intel ISA-L, built only where its headers are installed
# (Debian/Ubuntu: libisal-dev; scripts/build-native.mjs finds them and passes zpa_isal=1). It is a module
# of its own so that a machine without the shared library at run time loses only it (gzip falls back to
# zlib), never the checker.
{
  'variables': {
    'zpa_march%': '<!(node -p "process.env.ZPA_NATIVE_MARCH || \'\'")',
    'zpa_isal%': '0',
  },
  'targets': [
    {
      'target_name': 'zpa_native',
      'sources': [
        'src/addon.cc',
        'src/checker.cc',
        'src/plan.cc',
        'src/time_parse.cc',
        'src/simdjson_lib.cc',
        'src/json_escape.cc',
      ],
      'include_dirs': [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "<!(node -p \"require('path').dirname(require.resolve('@nozbe/simdjson/src/simdjson.h'))\")",
      ],
      'defines': [
        'NAPI_VERSION=8',
        'NAPI_DISABLE_CPP_EXCEPTIONS',
        'NODE_ADDON_API_DISABLE_DEPRECATED',
        'SIMDJSON_EXCEPTIONS=0',
      ],
      'cflags!': ['-fno-exceptions', '-O2'],
      'cflags_cc!': ['-fno-exceptions', '-std=gnu++17', '-std=gnu++1y', '-std=gnu++0x', '-O2'],
      'cflags_cc': ['-std=c++17', '-O3', '-fvisibility=hidden'],
      'conditions': [
        ['zpa_march!=""', { 'cflags_cc': ['-march=<(zpa_march)'] }],
        ['zpa_march=="" and target_arch=="x64"', { 'cflags_cc': ['-march=x86-64-v2', '-mpclmul'] }],
        ['OS=="mac"', {
          'xcode_settings': {
            'CLANG_CXX_LANGUAGE_STANDARD': 'c++17',
            'GCC_OPTIMIZATION_LEVEL': '3',
          },
        }],
      ],
    },
  ],
  'conditions': [
    ['zpa_isal==1', {
      'targets': [
        {
          'target_name': 'zpa_igzip',
          'sources': ['src/igzip.cc'],
          'include_dirs': ["<!(node -p \"require('node-addon-api').include_dir\")"],
          'defines': ['NAPI_VERSION=8', 'NAPI_DISABLE_CPP_EXCEPTIONS', 'NODE_ADDON_API_DISABLE_DEPRECATED'],
          'cflags_cc!': ['-std=gnu++17', '-std=gnu++1y', '-std=gnu++0x', '-O2'],
          'cflags_cc': ['-std=c++17', '-O2', '-fvisibility=hidden'],
          'libraries': ['-lisal'],
        },
      ],
    }],
  ],
}

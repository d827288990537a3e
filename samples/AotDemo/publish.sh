#!/usr/bin/env bash
# Publishes the AotDemo sample with NativeAOT and runs the binary.
#
#   samples/AotDemo/publish.sh [instruction-set]
#
# instruction-set (x64 only; default x86-64-v3) is passed to the ILCompiler as IlcInstructionSet:
#   x86-64-v2  the ILCompiler's baseline, what a binary gets without the property: no AVX at all,
#              StaticNet runs its 128-bit kernels
#   x86-64-v3  AVX2 + FMA (Intel Haswell 2013+, AMD Zen): the 256-bit kernels
#   x86-64-v4  AVX-512 F/BW/CD/DQ/VL (Intel Skylake-SP+, AMD Zen 4+): the 512-bit kernels
#   native     whatever the machine that publishes has
# A binary compiled for v3 or v4 stops at start-up with a message on a CPU that lacks them.
# (These are .NET 10's names; .NET 8's ILCompiler spelled them x86-x64-v3 and so on.)
# RID=linux-arm64 (or another runtime identifier) publishes for another platform.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
rid=${RID:-linux-x64}
isa=${1:-}
if [[ -z "$isa" && "$rid" == *-x64 ]]; then isa=x86-64-v3; fi

out="$here/bin/publish/$rid${isa:+-$isa}"
args=(-c Release -r "$rid" -p:StaticNetAot=true -o "$out")
if [[ -n "$isa" ]]; then args+=("-p:IlcInstructionSet=$isa"); fi

# PublishAot is set by the project when StaticNetAot is true: on the command line it would also
# reach the netstandard2.0 generator project and fail with NETSDK1207.
dotnet publish "$here" "${args[@]}"
echo
echo "== $out/AotDemo"
"$out/AotDemo"

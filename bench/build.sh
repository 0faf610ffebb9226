# Sourced by bench/jmh.sh, bench/compare.sh and bench/loader-compare.sh: finds JDK 25 and
# (re)builds the bench module and the modules it depends on when a source is newer than the last
# build, then sets BENCH_CP, the class path.
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$root/bin/jdk25.sh"
classpath_file="$root/bench/target/classpath-deps.txt"
bench_stale() {
    [ ! -f "$classpath_file" ] && return 0
    [ -n "$(find "$root/engine" "$root/kernels" "$root/nn" "$root/iboot" "$root/bench" "$root/pom.xml" -path '*/target' -prune -o \
        \( -name '*.java' -o -name pom.xml -o -path '*/src/main/resources/*' \) \
        -newer "$classpath_file" -print -quit)" ]
}
if bench_stale; then
    echo "bench: building the bench module and what it depends on..." >&2
    (cd "$root" && mvn -q -B -ntp -pl bench -am -DskipTests package) >&2
    # build-classpath leaves an unchanged file alone; mark the build as done for bench_stale
    touch "$classpath_file"
fi
BENCH_CP="$root/bench/target/classes:$(cat "$classpath_file")"
# Flags every engine JVM needs (the Vector API, FFM), as bin/iboot.
BENCH_JVM_FLAGS=(--add-modules=jdk.incubator.vector --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow)

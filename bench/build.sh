# Sourced by bench/jmh.sh and bench/compare.sh: finds JDK 25 and (re)builds the engine, nn and the
# bench module when a source is newer than the last build, then sets BENCH_CP, the class path.
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$root/bin/jdk25.sh"
classpath_file="$root/bench/target/classpath-deps.txt"
bench_stale() {
    [ ! -f "$classpath_file" ] && return 0
    [ -n "$(find "$root/engine" "$root/nn" "$root/bench" "$root/pom.xml" -path '*/target' -prune -o \
        \( -name '*.java' -o -name pom.xml -o -path '*/src/main/resources/*' \) \
        -newer "$classpath_file" -print -quit)" ]
}
if bench_stale; then
    echo "bench: building the engine, nn and the bench module..." >&2
    (cd "$root" && mvn -q -B -ntp -pl bench -am -DskipTests package) >&2
fi
BENCH_CP="$root/bench/target/classes:$(cat "$classpath_file")"
# Flags every engine JVM needs (the Vector API, FFM), as bin/iboot.
BENCH_JVM_FLAGS=(--add-modules=jdk.incubator.vector --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow)

# Sourced by bin/iboot, bin/test and .ci/run: finds a JDK 25 or newer and exports JAVA_HOME.
# Looks at $JAVA_HOME first, then /usr/lib/jvm/*; fails with a clear message if none is found.

java_major() { # prints the feature version of the JDK at $1, or nothing
    [ -x "$1/bin/java" ] && [ -x "$1/bin/javac" ] || return 0
    "$1/bin/java" -XshowSettings:properties -version 2>&1 \
        | sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p'
}

find_jdk25() {
    local candidate major
    for candidate in "${JAVA_HOME:-}" /usr/lib/jvm/*; do
        [ -n "$candidate" ] || continue
        major=$(java_major "$candidate")
        if [ -n "$major" ] && [ "$major" -ge 25 ]; then
            export JAVA_HOME="$candidate"
            export PATH="$JAVA_HOME/bin:$PATH"
            return 0
        fi
    done
    echo "iboot4j needs JDK 25 or newer (FFM API, Vector API) and found none:" >&2
    echo "  JAVA_HOME=${JAVA_HOME:-<unset>}; searched /usr/lib/jvm/*." >&2
    echo "  Install one (e.g. Temurin 25) and/or set JAVA_HOME to it." >&2
    return 1
}

find_jdk25 || exit 1
# Maven's own libraries still call sun.misc.Unsafe; keep JDK 25 from warning about it.
export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow"

#!/usr/bin/env bash
# AWS Event Ruler (EventBridge's own matcher) and its dependencies, as one classpath
# file, cached outside the repo. Idempotent.
set -euo pipefail
RULER_VERSION="2.1.0"
DIR="${SLIPWAY_CACHE:-$HOME/.cache/slipway}/event-ruler-$RULER_VERSION"
if [ -f "$DIR/classpath.txt" ]; then
  echo "event-ruler $RULER_VERSION: cached at $DIR"
  exit 0
fi
mkdir -p "$DIR"
cat >"$DIR/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>dev.slipway</groupId><artifactId>ruler-deps</artifactId><version>1</version>
  <dependencies>
    <dependency>
      <groupId>software.amazon.event.ruler</groupId><artifactId>event-ruler</artifactId>
      <version>$RULER_VERSION</version>
    </dependency>
  </dependencies>
</project>
POM
(cd "$DIR" && mvn -q -B dependency:build-classpath -Dmdep.outputFile=classpath.tmp && mv classpath.tmp classpath.txt)
echo "event-ruler $RULER_VERSION: installed at $DIR"

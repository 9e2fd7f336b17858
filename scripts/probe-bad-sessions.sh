#!/bin/bash
# The bad session inputs of issue 13 (items 1, 5, 6, 9) through the real CLI with the bundled judges, one line per
# case: exit code, whether stderr holds a stack trace, whether it hung (killed after 60 s), and its last line.
# Usage: scripts/probe-bad-sessions.sh [REPO]   (default: this checkout). Needs Linux; the EACCES cases need root
# (they run as nobody through setpriv), the ENOSPC/EROFS cases a tmpfs mount (root). Everything goes in a temp folder.
REPO=${1:-$(cd "$(dirname "$0")/.." && pwd)}
W=$(mktemp -d "${TMPDIR:-/tmp}/gmpo-probe-XXXX")
cd "$REPO"
CLI="node --import tsx cli.tsx"
export NODE_NO_WARNINGS=1 GMPO_CONFIG_DIR=$W/config
mkdir -p $W/config && chmod 777 $W/config $W
run() { # name, env..., -- args
  local name=$1; shift
  local envs=(); while [ "$1" != "--" ]; do envs+=("$1"); shift; done; shift
  local out; out=$(env "${envs[@]}" timeout -k 5 60 $CLI "$@" 2>&1 >/dev/null); local rc=$?
  local st=no; echo "$out" | grep -qE "^\s+at " && st=yes
  local hang=no; { [ $rc = 124 ] || [ $rc = 137 ]; } && hang=yes
  printf '%s\trc=%s\tstack=%s\thang=%s\t%s\n' "$name" "$rc" "$st" "$hang" "$(echo "$out" | grep -v '^\s*at ' | grep -v '^$' | tail -1 | cut -c1-150)"
}
T=examples/uppercase.yaml
touch $W/file
run "sessions dir is a file" GMPO_SESSIONS_DIR=$W/file -- optimize $T --auto --rounds 1
run "sessions dir under a file" GMPO_SESSIONS_DIR=$W/file/s -- optimize $T --auto --rounds 1
run "sessions dir in /proc" GMPO_SESSIONS_DIR=/proc/gmpo-nope -- optimize $T --auto --rounds 1
run "listing: sessions dir is a file" GMPO_SESSIONS_DIR=$W/file -- sessions
# a good session
S=$W/s; GMPO_SESSIONS_DIR=$S timeout 120 $CLI optimize $T --auto --rounds 1 >/dev/null 2>&1
ID=$(ls $S | head -1)
for n in evdir taskdir foreignlog foreigntask; do cp -r $S/$ID $S/$n; sed -i "s/\"id\":\"$ID\"/\"id\":\"$n\"/" $S/$n/events.jsonl; done
rm $S/evdir/events.jsonl && mkdir $S/evdir/events.jsonl
rm $S/taskdir/task.json && mkdir $S/taskdir/task.json
# another session of another task
S2=$W/s2; GMPO_SESSIONS_DIR=$S2 timeout 120 $CLI optimize examples/arithmetic.yaml --auto --rounds 1 >/dev/null 2>&1
ID2=$(ls $S2 | head -1)
cp $S2/$ID2/events.jsonl $S/foreignlog/events.jsonl
cp $S2/$ID2/task.json $S/foreigntask/task.json
cp -r $S/$ID $S/copied
run "resume: events.jsonl is a folder" GMPO_SESSIONS_DIR=$S -- resume evdir --auto --rounds 2
run "export: events.jsonl is a folder" GMPO_SESSIONS_DIR=$S -- export evdir
run "resume: task.json is a folder" GMPO_SESSIONS_DIR=$S -- resume taskdir --auto --rounds 2
run "export: task.json is a folder" GMPO_SESSIONS_DIR=$S -- export taskdir
run "resume: foreign events.jsonl" GMPO_SESSIONS_DIR=$S -- resume foreignlog --auto --rounds 2
run "export: foreign events.jsonl" GMPO_SESSIONS_DIR=$S -- export foreignlog
run "resume: foreign task.json" GMPO_SESSIONS_DIR=$S -- resume foreigntask --auto --rounds 2
run "export: foreign task.json" GMPO_SESSIONS_DIR=$S -- export foreigntask
run "resume: copied folder" GMPO_SESSIONS_DIR=$S -- resume copied --auto --rounds 2
run "export --out is a file" GMPO_SESSIONS_DIR=$S -- export $ID --out $W/file
run "export --out in /proc" GMPO_SESSIONS_DIR=$S -- export $ID --out /proc/gmpo-nope
run "sessions rm of an unknown id" GMPO_SESSIONS_DIR=$S -- sessions rm nope
# EACCES as nobody
A=$W/acc; mkdir -p $A; cp -r $S/$ID $A/; chmod -R a+rX $W; chmod 555 $A $A/$ID
cp $T $W/task.yaml; chmod 644 $W/task.yaml
CLI="setpriv --reuid=65534 --regid=65534 --clear-groups node --import tsx cli.tsx"
run "optimize: sessions dir not writable (EACCES)" GMPO_SESSIONS_DIR=$A -- optimize $W/task.yaml --auto --rounds 1
run "resume: session dir not writable (EACCES)" GMPO_SESSIONS_DIR=$A -- resume $ID --auto --rounds 2
CLI="node --import tsx cli.tsx"
chmod 755 $A $A/$ID
# ENOSPC and EROFS on a tmpfs
M=$W/mnt; mkdir -p $M
if mount -t tmpfs -o size=256k tmpfs $M 2>/dev/null; then
  cp -r $S/$ID $M/
  head -c 10M /dev/zero > $M/filler 2>/dev/null
  run "optimize: disk full (ENOSPC)" GMPO_SESSIONS_DIR=$M -- optimize $T --auto --rounds 1
  rm -f $M/filler
  ls $M | grep -v "^$ID$" | sed 's/^/  left in the full sessions dir: /'
  rm -rf $(ls -d $M/* | grep -v "/$ID$") 2>/dev/null
  mount -o remount,ro $M
  run "resume: read-only mount (EROFS)" GMPO_SESSIONS_DIR=$M -- resume $ID --auto --rounds 2
  run "optimize: read-only mount (EROFS)" GMPO_SESSIONS_DIR=$M -- optimize $T --auto --rounds 1
  run "export: read-only mount (EROFS)" GMPO_SESSIONS_DIR=$M -- export $ID
  umount $M
fi
# item 1 inputs (they should run: rc 0)
node -e '
const fs=require("fs");const Y=require("yaml");const dir=process.argv[1];
const base=Y.parse(fs.readFileSync("examples/uppercase.yaml","utf8"));
const w=(n,t)=>fs.writeFileSync(`${dir}/${n}.yaml`,Y.stringify(t));
w("one-sentence",{...base,prompt:"Convert the word to uppercase."});
w("no-stop",{...base,prompt:"Convert the word to uppercase"});
w("whitespace",{...base,prompt:"   \n  "});
w("marker-absent",{...base,segmentation:{mode:"markers",marker:"||"}});
const d=structuredClone(base);for(const e of d.data.train) e.weight=(e.weight??1)*1e308;w("weight-all",d);
' $W
for c in one-sentence no-stop whitespace marker-absent weight-all; do run "item 1: $c" GMPO_SESSIONS_DIR=$W/i1 -- optimize $W/$c.yaml --auto --rounds 2; done
run "item 1: uppercase --rounds 8" GMPO_SESSIONS_DIR=$W/i1 -- optimize $T --auto --rounds 8
rm -rf $W

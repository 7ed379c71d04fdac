#!/usr/bin/env bash
# Patient-level fold of an MSD-layout dataset of 2D slices: a view (symbolic links, a new dataset.json) in which the
# slices of one patient are the test set and every other slice (the original test cases included) is training data.
#
#   scripts/patient-fold.sh DATA PATIENT OUT
#
# PATIENT is a case-name prefix: a case belongs to it when its file name starts with "PATIENT_" (the lung-GTV
# slices are named lung<k>_<slice>.nii.gz). With one test patient per study (scripts/ssl-real-data.sh uses the
# dataset's own imagesTs, the fourth CT), a result can be that patient's; running the study on each fold
# (`scripts/ssl-real-data.sh OUT/fold-lung1 ...`) tells whether it holds on the others. Nothing is copied: OUT holds
# links to DATA's files, so the data's licence terms stay with DATA (never commit either).
set -euo pipefail
[ $# -eq 3 ] || { echo "usage: scripts/patient-fold.sh DATA PATIENT OUT" >&2; exit 2; }
DATA=$(cd "$1" && pwd) PATIENT=$2 OUT=$3
[ -f "$DATA/dataset.json" ] || { echo "error: $DATA/dataset.json: not found (not an MSD-layout dataset)" >&2; exit 1; }
command -v jq >/dev/null || { echo "error: jq is required" >&2; exit 1; }
n=$(jq --arg p "${PATIENT}_" '[.training[] | select(.image | split("/") | last | startswith($p))] | length' "$DATA/dataset.json")
[ "$n" -gt 0 ] || { echo "error: $DATA/dataset.json: no training case of patient '$PATIENT' (names starting with ${PATIENT}_)" >&2; exit 1; }
tmp="$OUT.tmp.$$"
rm -rf "$tmp"; mkdir -p "$tmp"/{imagesTr,labelsTr,imagesTs,labelsTs}
trap 'rm -rf "$tmp"' EXIT
# Training entries of the patient become test entries; the original test entries (with their labelsTs) become training.
jq --arg p "${PATIENT}_" '
  def mine: .image | split("/") | last | startswith($p);
  def moved(d): {image: ("./images" + d + "/" + (.image | split("/") | last)), label: ("./labels" + d + "/" + (.image | split("/") | last))};
  (.test | map(if type == "string" then {image: .} else . end)) as $test
  | .training as $train
  | .training = ([$train[] | select(mine | not) | moved("Tr")] + [$test[] | moved("Tr")])
  | .test = [$train[] | select(mine) | "./imagesTs/" + (.image | split("/") | last)]
  | .numTraining = (.training | length) | .numTest = (.test | length)
  | .description = ((.description // "") + " (patient-level fold: test = " + ($p | rtrimstr("_")) + ")")' \
  "$DATA/dataset.json" >"$tmp/dataset.json"
link() {  # link FROM_DIR TO_DIR NAME
  [ -e "$DATA/$1/$3" ] || { echo "error: $DATA/$1/$3: listed in dataset.json but missing" >&2; exit 1; }
  ln -s "$DATA/$1/$3" "$tmp/$2/$3"
}
while IFS= read -r f; do
  case "$f" in
    "${PATIENT}_"*) link imagesTr imagesTs "$f"; link labelsTr labelsTs "$f" ;;
    *) link imagesTr imagesTr "$f"; link labelsTr labelsTr "$f" ;;
  esac
done < <(jq -r '.training[].image | split("/") | last' "$DATA/dataset.json")
while IFS= read -r f; do
  link imagesTs imagesTr "$f"; link labelsTs labelsTr "$f"
done < <(jq -r '.test[] | if type == "string" then . else .image end | split("/") | last' "$DATA/dataset.json")
rm -rf "$OUT"; mv "$tmp" "$OUT"; trap - EXIT
echo "$OUT: test = $n slices of $PATIENT, training = $(jq '.numTraining' "$OUT/dataset.json") slices"

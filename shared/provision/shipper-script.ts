// Generated from shipper.sh, which is the source to edit; then regenerate this file with
//   LOGVAULT_UPDATE_SHIPPER=1 npx vitest run test/unit/provision/shipper-script.test.ts
// It exists because a bundled Lambda cannot read shipper.sh from disk.

/** The log shipper installed on instances as /usr/local/bin/logvault-ship (see shipper.sh). */
export const SHIPPER_SCRIPT = `#!/bin/bash
# logvault-ship: uploads new and changed log files to the logvault ingest bucket.
#
# Installed by logvault's user data as /usr/local/bin/logvault-ship and run by logvault-ship.timer.
# It only reads logs: it never deletes, moves or modifies one.
#
# Settings (environment; the systemd unit loads /etc/logvault/shipper.env):
#   LOGVAULT_INGEST_BUCKET    bucket to upload to (required)
#   LOGVAULT_LOG_PATHS        absolute globs: one per line, or space-separated when on one line
#   LOGVAULT_LOG_PATHS_FILE   file of absolute globs, one per line (a glob there may hold spaces)
#   LOGVAULT_INSTANCE_ID      instance id; asked of IMDSv2 when unset
#   LOGVAULT_KEY_PREFIX       first key segment; when unset on an instance (no LOGVAULT_INSTANCE_ID),
#                             the session's aws:userid, "ROLE_ID:INSTANCE_ID", asked of STS
#   LOGVAULT_STATE_DIR        what was shipped is remembered here (default /var/lib/logvault/shipped)
#   LOGVAULT_UPLOAD_ATTEMPTS  tries per file (default 5)
#   LOGVAULT_RETRY_DELAY      seconds before the first retry, doubled for each next one (default 2)
# The AWS CLI finds region, credentials and endpoint (AWS_ENDPOINT_URL) the usual way.
#
# Each glob G also matches the rotated copies G-* and G.* (messages-20261124, app.log.1.gz).
#
# Keys: the first upload of a file goes to s3://BUCKET/PREFIX/PATH (PATH without its leading
# slash). On an instance PREFIX is ROLE_ID:INSTANCE_ID, the only prefix the instance role may write
# (its policy names \${aws:userid}/*); the pipeline reads the instance id out of it as the source. A later upload of the same path with changed content, a log still being appended to, goes
# to .../PATH.MTIME, MTIME being the file's modification time in Unix seconds, so no upload replaces
# an earlier one; should versions share an MTIME, all but the first get .MTIME-SHA (12 hex digits
# of their SHA-256). Each object is the whole file as it was when uploaded.
#
# State: STATE_DIR/INSTANCE_ID/ holds one file per shipped path, named by the SHA-256 of the path,
# whose first line is "size mtime sha256 suffix". A file with the same size and mtime is skipped
# unread; one with the same content (touched only) is skipped too. Empty files wait until they have
# content.
#
# Exit status: 0 all shipped; 1 some upload failed after every try (the others were still tried);
# 2 bad settings; 75 another run holds the lock.
set -euo pipefail
shopt -s inherit_errexit nullglob globstar
umask 077

log() { printf 'logvault-ship: %s\\n' "$*" >&2; }
die() {
  log "$*"
  exit 2
}

bucket=\${LOGVAULT_INGEST_BUCKET:-}
state_root=\${LOGVAULT_STATE_DIR:-/var/lib/logvault/shipped}
attempts=\${LOGVAULT_UPLOAD_ATTEMPTS:-5}
first_delay=\${LOGVAULT_RETRY_DELAY:-2}
imds=\${AWS_EC2_METADATA_SERVICE_ENDPOINT:-http://169.254.169.254}

[[ -n $bucket ]] || die 'LOGVAULT_INGEST_BUCKET is not set'
[[ $attempts =~ ^[1-9][0-9]*$ ]] || die "LOGVAULT_UPLOAD_ATTEMPTS must be a positive whole number"
[[ $first_delay =~ ^[0-9]+$ ]] || die "LOGVAULT_RETRY_DELAY must be a whole number of seconds"
command -v aws >/dev/null || die 'the AWS CLI (aws) is not installed'

instance_id() {
  if [[ -n \${LOGVAULT_INSTANCE_ID:-} ]]; then
    printf '%s' "$LOGVAULT_INSTANCE_ID"
    return
  fi
  local token
  token=$(curl -fsS --max-time 5 --retry 3 -X PUT "$imds/latest/api/token" \\
    -H 'X-aws-ec2-metadata-token-ttl-seconds: 300')
  curl -fsS --max-time 5 --retry 3 -H "X-aws-ec2-metadata-token: $token" "$imds/latest/meta-data/instance-id"
}

explicit_instance=\${LOGVAULT_INSTANCE_ID:-}
instance=$(instance_id) || die 'cannot read the instance id from IMDSv2'
[[ $instance =~ ^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$ ]] || die "unusable instance id: $instance"
# The prefix becomes the first segment of every key, which the pipeline reads as the log's source.
if [[ -n \${LOGVAULT_KEY_PREFIX:-} ]]; then
  prefix=$LOGVAULT_KEY_PREFIX
elif [[ -n $explicit_instance ]]; then
  prefix=$instance
else
  prefix=$(aws sts get-caller-identity --query UserId --output text) || die 'cannot ask STS for this session'
  [[ $prefix == *:"$instance" ]] || die "this session ($prefix) is not the instance role of $instance"
fi
[[ $prefix =~ ^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$ ]] || die "unusable key prefix: $prefix"

patterns=()
add_patterns() {
  local line
  while IFS= read -r line || [[ -n $line ]]; do
    [[ $line =~ ^[[:space:]]*(#|$) ]] && continue
    [[ $line == /* ]] || die "log path globs must be absolute: $line"
    patterns+=("$line")
  done
}
if [[ -n \${LOGVAULT_LOG_PATHS:-} ]]; then
  if [[ $LOGVAULT_LOG_PATHS == *$'\\n'* ]]; then
    add_patterns <<<"$LOGVAULT_LOG_PATHS"
  else
    read -r -a words <<<"$LOGVAULT_LOG_PATHS"
    add_patterns < <(printf '%s\\n' "\${words[@]}")
  fi
fi
if [[ -n \${LOGVAULT_LOG_PATHS_FILE:-} ]]; then
  [[ -r $LOGVAULT_LOG_PATHS_FILE ]] || die "cannot read $LOGVAULT_LOG_PATHS_FILE"
  add_patterns <"$LOGVAULT_LOG_PATHS_FILE"
fi
((\${#patterns[@]} > 0)) || die 'no log paths: set LOGVAULT_LOG_PATHS or LOGVAULT_LOG_PATHS_FILE'

# Expands every glob and its rotated copies, once per file, in glob order.
files=()
declare -A seen=()
expand() {
  # Empty IFS: a glob is expanded as a path pattern but never split at spaces.
  local IFS='' pattern file
  for pattern in "\${patterns[@]}"; do
    # shellcheck disable=SC2206 # pathname expansion of the configured glob is the point
    local matches=($pattern $pattern-* $pattern.*)
    for file in "\${matches[@]}"; do
      [[ -f $file && -z \${seen[$file]:-} ]] || continue
      seen[$file]=1
      files+=("$file")
    done
  done
}
expand

state_dir=$state_root/$instance
mkdir -p -- "$state_dir"
# systemd never starts the service twice at once; the lock covers runs started by hand.
exec 9>>"$state_root/.lock"
if command -v flock >/dev/null && ! flock -n 9; then
  log 'another run holds the lock'
  exit 75
fi

upload() {
  local file=$1 key=$2 try=1 delay=$first_delay
  until aws s3 cp --only-show-errors --no-progress -- "$file" "s3://$bucket/$key"; do
    if ((try >= attempts)); then
      log "giving up on $file after $try tries"
      return 1
    fi
    log "upload of $file failed (try $try of $attempts); next try in \${delay}s"
    sleep "$delay"
    try=$((try + 1))
    delay=$((delay * 2))
  done
}

shipped=0 unchanged=0 empty=0 failed=0

ship() {
  local file=$1 stats size mtime state path_hash sha suffix key
  local old_size='' old_mtime='' old_sha='' old_suffix=''
  if ! stats=$(stat -L -c '%s %Y' -- "$file"); then
    # Rotated away since the globs were expanded: it is shipped under its new name next time.
    [[ -e $file ]] || return 0
    return 1
  fi
  read -r size mtime <<<"$stats"
  if ((size == 0)); then
    empty=$((empty + 1))
    return 0
  fi
  path_hash=$(printf '%s' "$file" | sha256sum)
  state=$state_dir/\${path_hash%% *}
  if [[ -f $state ]]; then
    read -r old_size old_mtime old_sha old_suffix <"$state" || true
  fi
  if [[ $size == "$old_size" && $mtime == "$old_mtime" ]]; then
    unchanged=$((unchanged + 1))
    return 0
  fi
  # Hash from stdin: sha256sum escapes unusual file names in its output, never "-".
  sha=$(sha256sum <"$file") || return 1
  sha=\${sha%% *}
  if [[ $sha == "$old_sha" ]]; then
    suffix=$old_suffix
  else
    key=$prefix/\${file#/}
    if [[ -z $old_sha ]]; then
      suffix=-
    else
      suffix=$mtime
      if [[ $old_suffix == "$mtime" || $old_suffix == "$mtime"-* ]]; then
        suffix=$mtime-\${sha:0:12}
      fi
      key=$key.$suffix
    fi
    upload "$file" "$key" || return 1
    log "shipped $file to s3://$bucket/$key"
    shipped=$((shipped + 1))
  fi
  [[ $sha != "$old_sha" ]] || unchanged=$((unchanged + 1))
  # The path on line 2 is for people reading the state; only line 1 is read back.
  if ! printf '%s %s %s %s\\n%s\\n' "$size" "$mtime" "$sha" "$suffix" "$file" >"$state.tmp" ||
    ! mv -f -- "$state.tmp" "$state"; then
    log "cannot record $file in $state_dir: it will be shipped again"
    return 1
  fi
}

for file in "\${files[@]}"; do
  ship "$file" || {
    log "could not ship $file"
    failed=$((failed + 1))
  }
done

log "$shipped shipped, $unchanged unchanged, $empty empty, $failed failed"
((failed == 0)) || exit 1
`;

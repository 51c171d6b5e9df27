// Runs inside the image, as its own user, in its working directory, fed to `node -` on stdin:
// reports what the image holds there and what that user may do, as one JSON line.
import { accessSync, constants, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join, relative } from 'node:path';

const app = process.cwd();
const children = {};
function walk(dir, files = []) {
  const entries = readdirSync(dir, { withFileTypes: true });
  const inDependencies = dir.startsWith(join(app, 'node_modules'));
  if (!inDependencies) children[dir] = entries.map((entry) => entry.name);
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) walk(path, files);
    else files.push(path);
  }
  return files;
}

const appFiles = walk(app);
const unreadable = appFiles.filter((path) => {
  try {
    accessSync(path, constants.R_OK);
    return false;
  } catch {
    return true;
  }
});
let appWritable = true;
try {
  writeFileSync(join(app, 'probe'), 'x');
} catch {
  appWritable = false;
}
const gid = process.getgid();
const group = readFileSync('/etc/group', 'utf8')
  .split('\n')
  .map((line) => line.split(':'))
  .find((fields) => fields[2] === String(gid))?.[0];
const packages = readdirSync(join(app, 'node_modules'))
  .filter((name) => !name.startsWith('.'))
  .flatMap((name) =>
    name.startsWith('@')
      ? readdirSync(join(app, 'node_modules', name)).map((inner) => `${name}/${inner}`)
      : [name],
  );

process.stdout.write(
  `${JSON.stringify({
    nodeVersion: process.version,
    uid: process.getuid(),
    gid,
    user: userInfo().username,
    group,
    cwd: app,
    children,
    files: appFiles
      .map((path) => relative(app, path))
      .filter((path) => !path.startsWith('node_modules/')),
    packages,
    unreadable,
    appWritable,
    appOwner: statSync(app).uid,
  })}\n`,
);

export { migrationAdvisorPlugin, assessInput, assessOutput } from './plugin';
export { dependencyVersions, readDependencies, type Dependency, type DependencyReport } from './dependency-versions';

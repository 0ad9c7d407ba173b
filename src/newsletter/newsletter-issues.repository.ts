import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { NewsletterIssueEntity } from './newsletter-issue.entity';

@Injectable()
export class NewsletterIssuesRepository {
  constructor(
    @InjectRepository(NewsletterIssueEntity)
    private readonly rows: Repository<NewsletterIssueEntity>,
  ) {}

  async create(issue: Partial<NewsletterIssueEntity>): Promise<NewsletterIssueEntity> {
    return this.rows.save(this.rows.create({ recipients: 0, ...issue }));
  }

  findById(id: string): Promise<NewsletterIssueEntity | null> {
    return this.rows.findOneBy({ id });
  }

  async markQueued(id: string, recipients: number): Promise<void> {
    await this.rows.update({ id }, { recipients, queuedAt: new Date() });
  }
}
